"""(4) Scaling: per-call cost must not grow with the state.

In-process app per provider, signed calls through the whole pipeline, median of several calls:
- add 300 members to a group that has 0, 3,000 and 5,700 members (Tencent add_group_member x300,
  OpenIM invite_user_to_group x300, RongCloud entrust join 3 x 100: its per-call maximum);
- read one page (100) of members: the first page and the last page of a 6,000-member group,
  beside the first page of a 300-member group;
- the joined-group list of a user in 1,000 groups beside a user in 10 groups (the whole list,
  and a first page of 100 where the API pages).
"""

from __future__ import annotations

import asyncio
import time

from bench import clients
from bench.common import median, table, verdict
from bench.inproc import app_client, ok

SIZES = (1, 3000, 5700)   # members including the owner (1 = the owner alone)
ADD = 300
CAP = 6000
TARGET = 1.5
PAGE = 100
BIG_USER_GROUPS, SMALL_USER_GROUPS = 1000, 100


def _scenario(provider: str, reps: int) -> dict:
    """Users bu0..bu5999; groups s<size>k<k> (owner only) for the adds; j<i> for joined lists."""
    doc = clients.scenario([provider], CAP, 0)
    sec = doc[provider]
    tenant = sec["apps" if provider != "openim" else "tenants"][0]
    add_groups = [f"s{n}k{k}" for n in SIZES for k in range(reps)]
    joined = [(f"j{i}", ["bj"] + (["bk"] if i < SMALL_USER_GROUPS else []))
              for i in range(BIG_USER_GROUPS)]
    if provider == "tencent":
        tenant["accounts"] += [{"UserID": "bj"}, {"UserID": "bk"}]
        tenant["groups"] = [{"GroupId": g, "Type": "Public", "Name": g, "Owner_Account": clients.OWNER,
                             "MaxMemberNum": CAP} for g in add_groups]
        tenant["groups"] += [{"GroupId": g, "Type": "Public", "Name": g, "Owner_Account": clients.OWNER,
                              "MemberList": [{"Member_Account": u} for u in ms]} for g, ms in joined]
    elif provider == "openim":
        tenant["users"] += [{"userID": "bj"}, {"userID": "bk"}]
        tenant["groups"] = [{"groupID": g, "groupName": g, "ownerUserID": clients.OWNER} for g in add_groups]
        tenant["groups"] += [{"groupID": g, "groupName": g, "ownerUserID": clients.OWNER,
                              "memberUserIDs": ms} for g, ms in joined]
    else:
        tenant["max_members"] = CAP
        tenant["groups"] = [{"groupId": g, "name": g, "owner": clients.OWNER} for g in add_groups]
        tenant["groups"] += [{"groupId": g, "name": g, "owner": clients.OWNER, "members": ms}
                             for g, ms in joined]
    return doc


async def _add(provider: str, s, gid: str, first: int, n: int) -> bool:
    """Add bu<first> .. bu<first+n-1> to gid with the provider's own add API, in its batch size."""
    ids = [f"bu{i}" for i in range(first, first + n)]
    if provider == "tencent":
        for i in range(0, n, 300):
            r = await s.tencent("add_group_member", {"GroupId": gid, "Silence": 1, "MemberList": [
                {"Member_Account": u} for u in ids[i:i + 300]]})
            if r.get("ActionStatus") != "OK" or any(x.get("Result") != 1 for x in r.get("MemberList", [])):
                return False
    elif provider == "openim":
        for i in range(0, n, 1000):
            r = await s.openim("/group/invite_user_to_group", {"groupID": gid, "reason": "",
                                                               "invitedUserIDs": ids[i:i + 1000]})
            if r.get("errCode") != 0:
                return False
    else:
        for i in range(0, n, 100):
            r = await s.rongcloud("/entrust/group/join.json", {"groupId": gid, "userIds": ",".join(ids[i:i + 100])})
            if r.get("code") != 200:
                return False
    return True


async def _page(provider: str, s, gid: str, index: int, size: int, cache: dict) -> dict:
    """Members page ``index`` (0-based) of ``size``."""
    if provider == "tencent":
        return await s.tencent("get_group_member_info", {"GroupId": gid, "Limit": size, "Offset": index * size})
    if provider == "openim":
        return await s.openim("/group/get_group_member_list", {
            "groupID": gid, "pagination": {"pageNumber": index + 1, "showNumber": size}})
    # RongCloud pages by an opaque pageToken: walk once to find the token of page ``index``
    key = (gid, index, size)
    if key not in cache:
        token = ""
        for _ in range(index):
            r = await s.rongcloud("/entrust/group/member/query.json",
                                  {"groupId": gid, "size": size, "pageToken": token} if token else
                                  {"groupId": gid, "size": size})
            token = r.get("pageToken", "")
        cache[key] = token
    form = {"groupId": gid, "size": size}
    if cache[key]:
        form["pageToken"] = cache[key]
    return await s.rongcloud("/entrust/group/member/query.json", form)


async def _joined(provider: str, s, user: str, size: int | None) -> dict:
    if provider == "tencent":
        body = {"Member_Account": user}
        if size:
            body.update(Limit=size, Offset=0)
        return await s.tencent("get_joined_group_list", body)
    if provider == "openim":
        return await s.openim("/group/get_joined_group_list", {
            "fromUserID": user, "pagination": {"pageNumber": 1, "showNumber": size or BIG_USER_GROUPS}})
    return await s.rongcloud("/entrust/joined/group/query.json", {"userId": user, "size": size or 100})


async def _timed(fn, reps: int) -> tuple[float, bool]:
    times, good = [], True
    for _ in range(reps):
        t0 = time.perf_counter()
        r = await fn()
        times.append((time.perf_counter() - t0) * 1000)
        good = good and r
    return median(times), good


async def _provider(provider: str, reps: int, read_reps: int) -> list[list]:
    rows = []
    async with app_client([provider], _scenario(provider, reps), journal_size=1) as (client, rt, s):
        # fill: group s<n>k<k> gets bu0..bu<n-2> beside its owner: n members (not timed)
        for n in SIZES:
            for k in range(reps):
                if n > 1 and not await _add(provider, s, f"s{n}k{k}", 0, n - 1):
                    raise RuntimeError(f"{provider}: filling s{n}k{k} failed")
        base = None
        for n in SIZES:
            times = []
            good = True
            for k in range(reps):
                t0 = time.perf_counter()
                good &= await _add(provider, s, f"s{n}k{k}", n - 1, ADD)
                times.append((time.perf_counter() - t0) * 1000)
            m = median(times)
            base = base or m
            ratio = m / base
            check = verdict(ratio <= TARGET) if n == SIZES[-1] else ""
            what = "the owner alone" if n == 1 else f"{n:,} members"
            rows.append([provider, f"add {ADD} members to a group of {what}", f"{m:.2f}",
                         f"{ratio:.2f}x", f"<= {TARGET}x" if n == SIZES[-1] else "",
                         check if good else "FAILED calls"])
        cache: dict = {}
        big, small = f"s{SIZES[-1]}k0", f"s{SIZES[0]}k0"     # 6,000 and 301 members now
        last = (SIZES[-1] + ADD) // PAGE - 1
        ref = None
        for label, gid, idx in ((f"members page 1 of a {ADD + 1}-member group", small, 0),
                                (f"members page 1 of a {SIZES[-1] + ADD:,}-member group", big, 0),
                                (f"members last page of a {SIZES[-1] + ADD:,}-member group", big, last)):
            await _page(provider, s, gid, idx, PAGE, cache)
            m, good = await _timed(lambda: _wrap(provider, _page(provider, s, gid, idx, PAGE, cache)), read_reps)
            ref = ref or m
            rows.append([provider, label, f"{m:.2f}", f"{m / ref:.2f}x", "flat", "" if good else "FAILED calls"])
        ref = None
        joined_rows = [(f"joined groups: page of {PAGE}, user in {SMALL_USER_GROUPS} groups", "bk", PAGE),
                       (f"joined groups: page of {PAGE}, user in {BIG_USER_GROUPS:,} groups", "bj", PAGE)]
        if provider != "rongcloud":   # RongCloud pages at most 100 per call
            joined_rows.append((f"joined groups: all, user in {BIG_USER_GROUPS:,} groups", "bj", None))
        for label, user, size in joined_rows:
            m, good = await _timed(lambda: _wrap(provider, _joined(provider, s, user, size)), read_reps)
            ref = ref or m
            rows.append([provider, label, f"{m:.2f}", f"{m / ref:.2f}x", "", "" if good else "FAILED calls"])
        problems = rt.check_invariants()[provider]
        if problems:
            rows.append([provider, "invariant problems after the run", str(len(problems)), "", "", problems[0][:60]])
    return rows


async def _wrap(provider: str, coro) -> bool:
    return ok(provider, await coro)


# --- users, profiles, tokens, presence (issue 16): an empty tenant beside one of 10,000 users ------
USERS_BIG = 10_000


def _users_calls(provider: str, s, k: int):
    """(label, coroutine factory) pairs: one call of each user-family API on user ``bu<k>``.
    ``k`` varies per call so no call answers from a result the previous one warmed."""
    u = f"bu{k}"
    if provider == "tencent":
        return [("portrait_get (read)", lambda: s.tencent("portrait_get", {
                    "To_Account": [u], "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Gender"]},
                    service="profile")),
                ("portrait_set (write)", lambda: s.tencent("portrait_set", {
                    "From_Account": u, "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": f"n{k}"}]},
                    service="profile")),
                ("query_online_status (presence)", lambda: s.tencent("query_online_status", {
                    "To_Account": [u], "IsNeedDetail": 1}, service="openim"))]
    if provider == "openim":
        return [("get_users_info (read)", lambda: s.openim("/user/get_users_info", {"userIDs": [u]})),
                ("get_users page 1 of 10 (read)", lambda: s.openim("/user/get_users", {
                    "pagination": {"pageNumber": 1, "showNumber": 10}})),
                ("update_user_info_ex (write)", lambda: s.openim("/user/update_user_info_ex", {
                    "userInfo": {"userID": u, "nickname": f"n{k}"}})),
                ("get_users_online_status (presence)", lambda: s.openim(
                    "/user/get_users_online_status", {"userIDs": [u]}))]
    return [("user/getToken (write: user + token)", lambda: s.rongcloud("/user/getToken.json", {
                "userId": u, "name": f"n{k}", "portraitUri": ""})),
            ("user/info (read)", lambda: s.rongcloud("/user/info.json", {"userId": u})),
            ("user/checkOnline (presence)", lambda: s.rongcloud("/user/checkOnline.json", {"userId": u}))]


def _all_online(rt, provider: str, n_users: int) -> None:
    """Every user bu0..bu<n-1> online on one platform (core/presence.py, as POST
    /_emulator/presence sets it, listeners included): the presence rows then ask about a user
    among n online ones."""
    backend = rt.providers[provider].backend
    platform = backend.normalise_platform("Android")
    now = backend.clock.now_ms()
    for pres in (backend.presence_of(t) for t in backend.tenants.values()):
        if pres is not None:
            for k in range(n_users):
                pres.set_online(f"bu{k}", platform, True, now)


async def _users_tenant(provider: str, n_users: int, reps: int) -> dict[str, float]:
    doc = clients.scenario([provider], n_users, 0)
    out: dict[str, float] = {}
    async with app_client([provider], doc, journal_size=1) as (client, rt, s):
        if provider == "rongcloud":   # its users (and their tokens) exist once getToken made them
            for k in range(n_users):
                if not ok(provider, await s.rongcloud("/user/getToken.json", {
                        "userId": f"bu{k}", "name": f"bu{k}", "portraitUri": ""})):
                    raise RuntimeError("rongcloud: filling users failed")
        _all_online(rt, provider, n_users)
        labels = [label for label, _ in _users_calls(provider, s, 0)]
        for i, label in enumerate(labels):
            times, good = [], True
            for r in range(reps):
                call = _users_calls(provider, s, (r * 7919) % n_users)[i][1]
                t0 = time.perf_counter()
                good = good and ok(provider, await call())
                times.append((time.perf_counter() - t0) * 1000)
            out[label] = median(times) if good else float("nan")
    return out


def users_rows(providers: list[str], reps: int) -> list[list]:
    rows = []
    for p in providers:
        small = asyncio.run(_users_tenant(p, 20, reps))
        big = asyncio.run(_users_tenant(p, USERS_BIG, reps))
        for label, ms in small.items():
            ratio = big[label] / ms if ms else float("nan")
            rows.append([p, label, f"{ms:.2f}", f"{big[label]:.2f}", f"{ratio:.2f}x", f"<= {TARGET}x",
                         verdict(ratio <= TARGET) if ratio == ratio else "FAILED calls"])
    return rows


# --- callbacks (issue 16): a write with an after-callback, against a full record log / queue ------
CB_QUEUE_BIG = 90_000      # after-hooks waiting in a queue of CB_QUEUE_SIZE (near its bound)
CB_QUEUE_SIZE = 100_000    # the largest queue_size a configuration accepts


async def _callbacks_flat(receiver_url: str, reps: int, batch: int) -> list[list]:
    """Tencent create_group with Group.CallbackAfterCreateGroup configured, CPU per write:
    - delivered to the receiver (drained after each batch): the record log empty vs at its cap
      (RECORD_CAP, oldest dropped per delivery);
    - queued only (the tenant's worker parked): a queue holding CB_QUEUE_BIG hooks vs an empty one.
    Batches interleaved; process CPU time (the receiver runs in its own process)."""
    from emulator.core import callbacks as core_cb

    sdk = str(clients.TENCENT_APP)
    key = ("tencent", sdk)
    async with app_client(["tencent"], clients.scenario(["tencent"], 20, 0), journal_size=1) as (client, rt, s):
        engine = rt.callbacks
        engine.set_config(engine.validate({"provider": "tencent", "tenant": sdk, "url": receiver_url,
                                           "commands": ["Group.CallbackAfterCreateGroup"],
                                           "queue_size": CB_QUEUE_SIZE}))
        counter = iter(range(10**9))

        async def writes(n: int) -> bool:
            good = True
            for _ in range(n):
                good = good and ok("tencent", await s.tencent("create_group", {
                    "Type": "Public", "Name": f"cb{next(counter)}"}))
            return good

        async def drained() -> None:
            while engine.stats()["queued"]:
                await asyncio.sleep(0.002)

        async def delivered_batch(empty_log: bool) -> float:
            if empty_log:
                engine.clear()
            else:       # topped up to the cap with copies of a real record
                engine.records.extend(dict(filler) for _ in range(core_cb.RECORD_CAP - len(engine.records)))
            t0 = time.process_time()
            good = await writes(batch)
            await drained()
            return (time.process_time() - t0) / batch * 1e6 if good else float("nan")

        await writes(200)           # warm-up; one real delivery record to copy
        await drained()
        filler = engine.records[-1]
        cells: dict = {"r0": [], "rcap": [], "q0": [], "qbig": []}
        for _ in range(reps):
            cells["r0"].append(await delivered_batch(True))
            cells["rcap"].append(await delivered_batch(False))

        # park the worker: hooks stay queued; the batch's own hooks are taken off again after it
        parked = asyncio.get_running_loop().create_future()
        engine._workers[key] = parked
        await writes(1)
        q = engine._queues[key]
        hook = q[0]

        async def queued_batch(depth: int) -> float:
            q.clear()
            q.extend([hook] * depth)
            t0 = time.process_time()
            good = await writes(batch)
            cpu = (time.process_time() - t0) / batch * 1e6
            good = good and len(q) == depth + batch
            return cpu if good else float("nan")

        for _ in range(reps):
            cells["q0"].append(await queued_batch(0))
            cells["qbig"].append(await queued_batch(CB_QUEUE_BIG))
        q.clear()
        del engine._workers[key]
        parked.cancel()
        engine.remove_config("tencent", sdk)
    from emulator.core import callbacks as core_cb

    rows = []
    for label, k0, kb, what in (
            ("create_group + after-callback delivered", "r0", "rcap", f"record log at its cap ({core_cb.RECORD_CAP:,})"),
            ("create_group + after-callback queued", "q0", "qbig", f"queue holding {CB_QUEUE_BIG:,} of {CB_QUEUE_SIZE:,}")):
        base, big = median(cells[k0]), median(cells[kb])
        ratio = big / base if base else float("nan")
        rows.append(["tencent", label, what, f"{base:.0f}", f"{big:.0f}", f"{ratio:.2f}x", f"<= {TARGET}x",
                     verdict(ratio <= TARGET) if ratio == ratio else "FAILED calls"])
    return rows


def callbacks_rows(reps: int, batch: int = 300) -> list[list]:
    import sys

    from bench.common import Server

    with Server([sys.executable, "-m", "bench.callbacks", "--serve"]) as receiver:
        return asyncio.run(_callbacks_flat(receiver.url + "/cb", reps, batch))


def run(providers: list[str], reps: int = 5, read_reps: int = 20) -> str:
    rows = []
    for p in providers:
        rows += asyncio.run(_provider(p, reps, read_reps))
    users = table(f"Scaling: user families, a tenant of 20 users vs {USERS_BIG:,} (in-process, signed, "
                  "median ms per call)",
                  ["provider", "call", "20 users ms", f"{USERS_BIG:,} users ms", "ratio", "target", "verdict"],
                  users_rows(providers, read_reps * 5),
                  "RongCloud's users (and one token each) are made by getToken calls; Tencent's and "
                  "OpenIM's come from the scenario. Each call names a different user. Every user of "
                  "both tenants is online (one platform), so the presence rows ask among 20 vs "
                  f"{USERS_BIG:,} online users.")
    if "tencent" in providers:
        users += "\n" + table(
            "Scaling: callbacks, a write with an after-callback against a full record log / queue "
            "(in-process, CPU us per write)",
            ["provider", "call", "large state", "us/write empty", "us/write large", "ratio", "target",
             "verdict"], callbacks_rows(reps),
            "Process CPU time per write, median of interleaved batches of 300 (the receiver, "
            "bench.callbacks --serve, in its own process). 'delivered': each batch waits until its "
            "callbacks are delivered; the log is cleared before the 'empty' batch. 'queued': the "
            "tenant's delivery worker is parked, so every write only queues its hook.")
    return table("Scaling: per-call cost as the state grows (in-process, signed, median ms per call)",
                 ["provider", "call", "ms", "vs first row", "target", "verdict"], rows,
                 "Tencent and OpenIM add 300 in one call; RongCloud's join takes at most 100, so its "
                 "row is 3 calls. Joined groups 'all' answers 1,000 entries, so it grows with the "
                 "answer; the two 'page of 100' rows must match.") + "\n" + users
