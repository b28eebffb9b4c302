"""(6) Messages (issue 12): Tencent send_group_msg throughput against the bare handler, per-send
cost at 0 and 100,000 stored messages, bytes per stored text message.

- Throughput: the emulator and bench/bare.py in their own processes on one CPU, wrk on the other
  (as in bench/throughput.py); every request is a signed send_group_msg from the app admin into
  a 21-member group with a fresh Random and text, so none is a duplicate; the store fills up
  to its cap (100,000) and then drops the oldest, which is part of what is measured.
- Flat cost: in-process, signed HTTP calls through the whole pipeline; CPU time per send into a
  group (send_group_msg) and a one-to-one conversation (sendmsg) with an empty log beside ones
  whose log holds 100,000 messages (filled through the store), batches interleaved.
- Bytes per stored text message: a fresh process (`python -m bench.messages --child N [--group]`)
  sends N one-to-one text messages between 1,000 users (or N group messages into 100 groups of
  21) over signed HTTP (journal size 1) and reads RSS (after gc + malloc_trim) before and after;
  the figure is the difference over N.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import clients, loadgen
from bench.common import PYTHON, ROOT, Server, emulator_argv, median, rss_bytes, server_cpu, table, trim, verdict

TARGET_RATIO, TARGET_FLAT, TARGET_BYTES = 0.5, 1.5, 600
HISTORY = 100_000
USERS = 1000


def _send_load(a: dict, tag: str) -> loadgen.Load:
    """Sends whose (Random, text) never repeat within a run (``tag`` differs per round)."""
    body = ('{"GroupId":"br","Random":%U%,"MsgBody":[{"MsgType":"TIMTextElem",'
            '"MsgContent":{"Text":"bench message ' + tag + ' %U%"}}]}')
    return loadgen.Load("tencent send_group_msg", f"/v4/group_open_http_svc/send_group_msg?{a['query']}",
                        [a["headers"]], body, ['"ActionStatus":"OK"', '"MsgSeq":'], 1, 2**31)


def _scenario(n_users: int) -> dict:
    """The bench scenario with Tencent's per-group send rate (40/s, 10023) off."""
    doc = clients.scenario(["tencent"], n_users, 0)
    doc["tencent"]["apps"][0]["message_settings"] = {"group_msg_per_second": 0}
    return doc


def throughput(seconds: float) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_scenario.json"
        path.write_text(json.dumps(_scenario(100)))
        cpu = server_cpu()
        with Server(emulator_argv(path, ["tencent"]), cpu=cpu) as emu, \
                Server([PYTHON, "-m", "bench.bare"], cpu=cpu) as bare:
            auth = clients.Tencent.auth(emu.host, emu.port)
            rows = []
            for conns in (50,):
                # three alternating rounds, so drift in the machine's load hits both; the row is
                # the round with the median ratio
                rounds = []
                for i in range(3):
                    load = _send_load(auth, f"c{conns}r{i}")
                    rb = loadgen.run(bare.url, load, conns, seconds)
                    re_ = loadgen.run(emu.url, load, conns, seconds)
                    rounds.append((re_.rps / rb.rps if rb.rps else 0.0, re_, rb))
                ratio, re_, rb = sorted(rounds, key=lambda r: r[0])[1]
                rows.append(["tencent", "send_group_msg", conns, f"{re_.rps:,.0f}", f"{re_.p50_ms:.2f}",
                             f"{re_.p99_ms:.2f}", f"{re_.failures + re_.socket_errors}/{re_.requests}",
                             f"{rb.rps:,.0f}", f"{ratio:.2f}", " / ".join(f"{r[0]:.2f}" for r in rounds),
                             f">= {TARGET_RATIO}", verdict(ratio >= TARGET_RATIO)])
    return rows


def _openim_send_load(a: dict) -> loadgen.Load:
    """A group send_msg by a member (bu0) into the 21-member group ``br``: membership, mute and
    status checks, two digests for the ids, stored at the next seq of sg_br."""
    body = ('{"sendID":"bu0","groupID":"br","sessionType":3,"contentType":101,'
            '"content":{"content":"bench message %U%"}}')
    return loadgen.Load("openim send_msg", "/msg/send_msg", [a["headers"]], body,
                        ['"errCode":0', '"serverMsgID":"'], 1, 2**31)


def openim_throughput(seconds: float) -> list:
    """OpenIM send_msg beside Tencent's row: the same bare handler, one CPU each side, three
    alternating rounds, the median shown."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_scenario.json"
        path.write_text(json.dumps(clients.scenario(["openim"], 100, 0)))
        cpu = server_cpu()
        with Server(emulator_argv(path, ["openim"]), cpu=cpu) as emu, \
                Server([PYTHON, "-m", "bench.bare"], cpu=cpu) as bare:
            load = _openim_send_load(clients.OpenIM.auth(emu.host, emu.port))
            rows = []
            for conns in (50,):
                rounds = []
                for _ in range(3):
                    rb = loadgen.run(bare.url, load, conns, seconds)
                    re_ = loadgen.run(emu.url, load, conns, seconds)
                    rounds.append((re_.rps / rb.rps if rb.rps else 0.0, re_, rb))
                ratio, re_, rb = sorted(rounds, key=lambda r: r[0])[1]
                rows.append(["openim", "send_msg", conns, f"{re_.rps:,.0f}", f"{re_.p50_ms:.2f}",
                             f"{re_.p99_ms:.2f}", f"{re_.failures + re_.socket_errors}/{re_.requests}",
                             f"{rb.rps:,.0f}", f"{ratio:.2f}", " / ".join(f"{r[0]:.2f}" for r in rounds),
                             f">= {TARGET_RATIO}", verdict(ratio >= TARGET_RATIO)])
    return rows


async def _flat(reps: int, batch: int) -> list:
    from bench.inproc import app_client
    from emulator.providers.tencent import models_messages as mm

    doc = _scenario(100)
    rows = []
    async with app_client(["tencent"], doc, journal_size=1) as (client, rt, s):
        app = rt.providers["tencent"].backend.tenants[str(clients.TENCENT_APP)]
        app.messages.cap = 3 * HISTORY      # room for both histories: no drops in either case
        members = [{"Member_Account": u} for u in clients.users(20)]
        r = await s.tencent("create_group", {"GroupId": "bh", "Type": "Public", "Name": "history",
                                             "Owner_Account": clients.OWNER, "MemberList": members})
        assert r["ActionStatus"] == "OK", r
        text = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]
        store, body = app.messages, {"MsgBody": text}
        g = app.groups["bh"]
        gconv = mm.group_conv(app, g)
        cconv = store.conversation(mm.c2c_id("bu2", "bu3"), "c2c", ("bu2", "bu3"))
        for i in range(HISTORY):    # the long histories, appended through the store
            store.append(gconv, "bu4", body, 1.0, ids=(i,))
            store.append(cconv, "bu2", body, 1.0, ids=(i, i), key=f"{cconv.id}|{i}_{i}_1")
        g.NextMsgSeq = gconv.next_seq
        trim()
        counter = iter(range(10**9))

        async def group_batch(gid: str) -> float:
            t0 = time.process_time()
            for _ in range(batch):
                r = await s.tencent("send_group_msg", {"GroupId": gid, "Random": next(counter), "MsgBody": text})
                assert r["ActionStatus"] == "OK", r
            return (time.process_time() - t0) / batch * 1e6

        async def c2c_batch(a: str, b: str) -> float:
            t0 = time.process_time()
            for _ in range(batch):
                r = await s.tencent("sendmsg", {"From_Account": a, "To_Account": b,
                                                "MsgRandom": next(counter), "MsgBody": text}, service="openim")
                assert r["ActionStatus"] == "OK", r
            return (time.process_time() - t0) / batch * 1e6

        cells: dict = {k: [] for k in ("g0", "gh", "c0", "ch")}
        for _ in range(reps):     # interleaved, so drift in the machine's load hits both
            cells["g0"].append(await group_batch("br"))
            cells["gh"].append(await group_batch("bh"))
            cells["c0"].append(await c2c_batch("bu0", "bu1"))
            cells["ch"].append(await c2c_batch("bu2", "bu3"))
        for api, k0, kh in (("send_group_msg", "g0", "gh"), ("sendmsg", "c0", "ch")):
            base, big = median(cells[k0]), median(cells[kh])
            ratio = big / base if base else float("inf")
            rows.append(["tencent", api, f"{base:.0f}", f"{big:.0f}", f"{ratio:.2f}", f"<= {TARGET_FLAT}",
                         verdict(ratio <= TARGET_FLAT)])
    return rows


async def _openim_flat(reps: int, batch: int) -> list:
    """OpenIM send_msg (a member's group send) into a group conversation holding HISTORY
    messages beside one into a fresh group, same tenant; the history is sent through the API."""
    from bench.inproc import app_client

    doc = clients.scenario(["openim"], 100, 0)
    members = clients.users(clients.READ_MEMBERS)
    doc["openim"]["tenants"][0]["groups"].append({"groupID": "bh", "groupName": "history",
                                                  "ownerUserID": clients.OWNER, "memberUserIDs": members})
    rows = []
    async with app_client(["openim"], doc, journal_size=1) as (client, rt, s):
        tenant = next(iter(rt.providers["openim"].backend.tenants.values()))
        tenant.messages.cap = 3 * HISTORY      # room for the history and the batches: no drops
        counter = iter(range(10**9))

        def body(gid: str) -> dict:
            return {"sendID": "bu0", "groupID": gid, "sessionType": 3, "contentType": 101,
                    "content": {"content": f"bench {next(counter)}"}}

        for _ in range(HISTORY):
            r = await s.openim("/msg/send_msg", body("bh"))
            assert r.get("errCode") == 0, r

        async def send(gid: str) -> None:
            r = await s.openim("/msg/send_msg", body(gid))
            assert r.get("errCode") == 0, r

        rows.append(await _flat_row("openim", "send_msg (group)", send, reps, batch))
    return rows


async def _rongcloud_flat(reps: int, batch: int) -> list:
    """RongCloud group publish into a group conversation holding HISTORY messages beside one
    into a fresh group, same app; the history is published through the API."""
    from bench.inproc import app_client

    doc = clients.scenario(["rongcloud"], 100, 0)
    doc["rongcloud"]["apps"][0]["groups"].append({"groupId": "bh", "name": "history", "owner": clients.OWNER,
                                                  "members": clients.users(clients.READ_MEMBERS)})
    rows = []
    async with app_client(["rongcloud"], doc, journal_size=1) as (client, rt, s):
        app = next(iter(rt.providers["rongcloud"].backend.tenants.values()))
        app.messages.cap = 3 * HISTORY      # room for the history and the batches: no drops
        counter = iter(range(10**9))

        def form(gid: str) -> dict:
            return {"fromUserId": "bu0", "toGroupId": gid, "objectName": "RC:TxtMsg",
                    "content": '{"content":"bench %d"}' % next(counter)}

        for _ in range(HISTORY):
            r = await s.rongcloud("/message/group/publish.json", form("bh"))
            assert r.get("code") == 200, r

        async def send(gid: str) -> None:
            r = await s.rongcloud("/message/group/publish.json", form(gid))
            assert r.get("code") == 200, r

        rows.append(await _flat_row("rongcloud", "message/group/publish", send, reps, batch))
    return rows


async def _flat_row(provider: str, api: str, send, reps: int, batch: int) -> list:
    """CPU time per ``send`` into the fresh group "br" beside the long one "bh": batches
    interleaved, so drift in the machine's load hits both; medians, their ratio, the verdict."""
    async def one_batch(gid: str) -> float:
        t0 = time.process_time()
        for _ in range(batch):
            await send(gid)
        return (time.process_time() - t0) / batch * 1e6

    small, big = [], []
    for _ in range(reps):
        small.append(await one_batch("br"))
        big.append(await one_batch("bh"))
    base, high = median(small), median(big)
    ratio = high / base if base else float("inf")
    return [provider, api, f"{base:.0f}", f"{high:.0f}", f"{ratio:.2f}", f"<= {TARGET_FLAT}",
            verdict(ratio <= TARGET_FLAT)]


async def _child(n: int, group: bool) -> dict:
    from bench.inproc import app_client

    doc = _scenario(USERS)
    async with app_client(["tencent"], doc, journal_size=1) as (client, rt, s):
        if group:       # 100 groups of 21 (the owner and 20 users), sends from their members
            for k in range(100):
                r = await s.tencent("create_group", {"GroupId": f"bm{k}", "Type": "Public", "Name": "m",
                                                     "Owner_Account": clients.OWNER, "MemberList": [
                                                         {"Member_Account": f"bu{(20 * k + j) % USERS}"}
                                                         for j in range(20)]})
                assert r["ActionStatus"] == "OK", r
        await s.tencent("sendmsg", {"From_Account": "bu0", "To_Account": "bu1", "MsgRandom": 0, "MsgBody": [
            {"MsgType": "TIMTextElem", "MsgContent": {"Text": "warm up"}}]}, service="openim")
        trim()
        before = rss_bytes()
        bad = 0
        for i in range(n):
            elem = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": f"hello there, message {i}"}}]
            if group:
                k = i % 100
                r = await s.tencent("send_group_msg", {"GroupId": f"bm{k}", "Random": i + 1, "MsgBody": elem,
                                                       "From_Account": f"bu{(20 * k + i % 20) % USERS}"})
            else:
                r = await s.tencent("sendmsg", {"From_Account": f"bu{i % USERS}",
                                                "To_Account": f"bu{(i * 7 + 1) % USERS}",
                                                "MsgRandom": i + 1, "MsgBody": elem}, service="openim")
            bad += r.get("ActionStatus") != "OK"
        trim()
        after = rss_bytes()
        app = rt.providers["tencent"].backend.tenants[str(clients.TENCENT_APP)]
        return {"n": n, "stored": app.messages.stored, "bad": bad, "delta": after - before,
                "conversations": len(app.messages.convs)}


def memory(n: int) -> list:
    rows = []
    for api, extra in (("sendmsg (text)", []), ("send_group_msg (text)", ["--group"])):
        proc = subprocess.run([PYTHON, "-m", "bench.messages", "--child", str(n), *extra], capture_output=True,
                              text=True, cwd=ROOT, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-1500:])
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        per = r["delta"] / max(r["stored"], 1)
        rows.append(["tencent", api, f"{r['stored']:,}", f"{r['conversations']:,}", r["bad"],
                     f"{r['delta'] / 2**20:.1f}", f"{per:.0f}", f"<= {TARGET_BYTES}", verdict(per <= TARGET_BYTES)])
    return rows


def run(seconds: float, reps: int, batch: int, n_memory: int) -> str:
    out = [table("Messages: send_group_msg throughput against the bare handler",
                 ["provider", "API", "conns", "emu req/s", "emu p50 ms", "emu p99 ms", "emu non-success",
                  "bare req/s", "emu/bare", "rounds", "target", "verdict"], throughput(seconds) + openim_throughput(seconds),
                 f"{seconds:g} s per cell, three alternating bare/emulator rounds, the median round "
                 f"shown; every send stored (group of 21; Tencent counts unread for 20 members, OpenIM "
                 "moves the sender's read position).")]
    out.append(table(f"Messages: per-send cost at 0 and {HISTORY:,} stored messages",
                     ["provider", "API", "us/send at 0", f"us/send at {HISTORY:,}", "ratio", "target",
                      "verdict"], asyncio.run(_flat(reps, batch)) + asyncio.run(_openim_flat(reps, batch))
                     + asyncio.run(_rongcloud_flat(reps, batch)),
                     f"process CPU time per send (client and server share the process), median of {reps} "
                     f"interleaved batches of {batch} signed in-process calls; the long group and "
                     f"one-to-one conversations each hold {HISTORY:,} messages (tenant cap raised); OpenIM's "
                     f"group conversation is filled with {HISTORY:,} send_msg calls first, RongCloud's with "
                     f"{HISTORY:,} group publishes."))
    out.append(table("Messages: bytes per stored text message",
                     ["provider", "API", "stored", "conversations", "failed", "RSS delta MiB", "bytes/message",
                      "target", "verdict"], memory(n_memory),
                     "RSS after gc + malloc_trim, fresh process, journal size 1; includes the store's "
                     "arrival order (and the MsgKey index for one-to-one messages); group sends go to "
                     "100 groups of 21 and include the 5-minute Random de-duplication window."))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", type=int, default=0)
    ap.add_argument("--group", action="store_true")
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(asyncio.run(_child(a.child, a.group))))
        return 0
    print(run(1, 3, 200, 20_000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
