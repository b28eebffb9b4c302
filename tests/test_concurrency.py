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


async def freeze(client, scenario: dict | None) -> None:
    """Freeze the clock, then (re)load the seed state so its timestamps are the frozen time too."""
    await client.post("/_emulator/clock", json={"freeze_at": FROZEN_AT})
    if scenario is not None:
        resp = await client.post("/_emulator/scenario?mode=merge", json=scenario)
        assert resp.status == 200, await resp.text()
    await client.post("/_emulator/reset")
    await client.delete("/_emulator/journal")


async def replay(aiohttp_client, settings: Settings, scenario, entries) -> dict:
    client = await aiohttp_client(create_app(settings))
    await freeze(client, scenario)
    for e in entries:
        headers = {k: v for k, v in e.headers if k.lower() not in SKIP_HEADERS}
        resp = await client.request(e.method, e.path + (f"?{e.query}" if e.query else ""),
                                    headers=headers, data=e.request_body)
        assert resp.status == e.status, (e.path, resp.status, e.status)
        assert await resp.read() == e.response_body, e.path
    return client.app[RUNTIME].dump_state()


async def check_run(aiohttp_client, provider: str, setup, make_ops, scenario: dict | None = None):
    settings = Settings(port=0, journal_size=10_000)
    client = await aiohttp_client(create_app(settings))
    rt = client.app[RUNTIME]
    await freeze(client, scenario)
    ctx = await setup(client)
    ops = make_ops(ctx, random.Random(20261121))
    assert len(ops) == OPERATIONS
    results = await run_concurrently(client, ops)
    assert all(r is not None for r in results)
    assert all(status < 500 for status, _ in results)
    oks = sum(1 for _, body in results if ctx["is_ok"](orjson.loads(body)))
    assert oks > OPERATIONS // 10, f"only {oks} successes: the mix does not exercise the state"
    if "is_cap_error" in ctx:   # the mix must run into the member cap, or the cap is untested
        assert any(ctx["is_cap_error"](orjson.loads(body)) for _, body in results)
    problems = rt.check_invariants()
    assert not any(problems.values()), problems
    final = rt.dump_state()
    entries = rt.journal.entries()
    assert {e.provider for e in entries} == {provider}
    assert len(entries) == len(ops) + ctx["setup_calls"]   # nothing lost: every call journaled
    assert await replay(aiohttp_client, settings, scenario, entries) == final


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


# --- RongCloud -------------------------------------------------------------------------------

RC_KEY, RC_SECRET = "uwd1c0sxdlx2", "Y1W2MeFwwwRxa0"
# No rate limit (2,000 calls share one frozen second) and a small cap the mix runs into.
RC_SCENARIO = {"rongcloud": {"apps": [{"app_key": RC_KEY, "app_secret": RC_SECRET,
                                        "rate_limit": 0, "max_members": 12}]}}


def rc_headers() -> dict:
    import hashlib
    nonce, ts = "4242", str(FROZEN_AT)
    return {"App-Key": RC_KEY, "Nonce": nonce, "Timestamp": ts,
            "Signature": hashlib.sha1(f"{RC_SECRET}{nonce}{ts}".encode()).hexdigest(),
            "Content-Type": "application/x-www-form-urlencoded"}


async def rc_setup(client) -> dict:
    groups = ["g1", "g2", "g3"]
    for gid in groups:
        resp = await client.post("/entrust/group/create.json", headers=rc_headers(),
                                 data=f"groupId={gid}&name={gid}&owner=leckie&userIds=bob")
        assert (await resp.json())["code"] == 200
    return {"users": [f"u{i:02d}" for i in range(40)], "groups": groups, "setup_calls": len(groups),
            "is_ok": lambda b: b.get("code") == 200, "is_cap_error": lambda b: b.get("code") == 25411}


def rc_ops(ctx, rng: random.Random) -> list[dict]:
    from urllib.parse import urlencode
    ops = []
    for n in range(OPERATIONS):
        gid, uids = rng.choice(ctx["groups"]), ",".join(rng.sample(ctx["users"], rng.randint(1, 3)))
        kind = rng.random()
        if kind < 0.45:
            path, form = "/entrust/group/join.json", {"groupId": gid, "userIds": uids}
        elif kind < 0.75:
            path, form = "/entrust/group/quit.json", {"groupId": gid, "userIds": uids}
        elif kind < 0.9:
            path, form = "/entrust/group/member/set.json", {
                "groupId": gid, "userId": uids.split(",")[0], "nickname": f"n{n}"}
        else:
            path, form = "/entrust/group/profile/update.json", {
                "groupId": gid, "groupProfile": orjson.dumps({"introduction": f"intro {n}"}).decode()}
        ops.append({"method": "POST", "path": path, "data": urlencode(form), "headers": rc_headers()})
    return ops


async def test_rongcloud_concurrent_mix_equals_serial_replay(aiohttp_client):
    await check_run(aiohttp_client, "rongcloud", rc_setup, rc_ops, RC_SCENARIO)


# --- Tencent Cloud Chat ----------------------------------------------------------------------

TC_SCENARIO = {"tencent": {"apps": [{
    "sdkappid": 1400000000, "key": "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e",
    "admins": ["administrator"], "rate_limit": 0,
    "accounts": [{"UserID": "leckie"}] + [{"UserID": f"u{i:02d}"} for i in range(40)]}]}}


async def tc_setup(client) -> dict:
    from tests.tencent_support import tencent_query
    query = tencent_query()
    groups = ["grp1", "grp2", "grp3"]
    for gid in groups:
        resp = await client.post("/v4/group_open_http_svc/create_group", params=query, data=orjson.dumps(
            {"Owner_Account": "leckie", "Type": "Public", "GroupId": gid, "Name": gid, "MaxMemberCount": 12}))
        assert (await resp.json())["ErrorCode"] == 0
    return {"query": query, "users": [f"u{i:02d}" for i in range(40)], "groups": groups,
            "setup_calls": len(groups),
            "is_ok": lambda b: b.get("ErrorCode") == 0, "is_cap_error": lambda b: b.get("ErrorCode") == 10014}


def tc_ops(ctx, rng: random.Random) -> list[dict]:
    ops = []
    for n in range(OPERATIONS):
        gid, uids = rng.choice(ctx["groups"]), rng.sample(ctx["users"], rng.randint(1, 3))
        kind = rng.random()
        if kind < 0.45:
            cmd, body = "add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": u} for u in uids]}
        elif kind < 0.75:
            cmd, body = "delete_group_member", {"GroupId": gid, "MemberToDel_Account": uids}
        elif kind < 0.9:
            cmd, body = "modify_group_member_info", {"GroupId": gid, "Member_Account": uids[0], "NameCard": f"n{n}"}
        else:
            cmd, body = "modify_group_base_info", {"GroupId": gid, "Introduction": f"intro {n}"}
        ops.append({"method": "POST", "path": f"/v4/group_open_http_svc/{cmd}", "params": ctx["query"],
                    "data": orjson.dumps(body), "headers": {"Content-Type": "application/json"}})
    return ops


async def test_tencent_concurrent_mix_equals_serial_replay(aiohttp_client):
    await check_run(aiohttp_client, "tencent", tc_setup, tc_ops, TC_SCENARIO)


def tc_message_ops(ctx, rng: random.Random) -> list[dict]:
    """Membership changes racing group and one-to-one sends, recalls and read marks: a send is
    accepted or refused (10007 non-member) by the membership at the moment it runs."""
    ops = []
    for n in range(OPERATIONS):
        gid, uid = rng.choice(ctx["groups"]), rng.choice(ctx["users"])
        kind = rng.random()
        service = "group_open_http_svc"
        if kind < 0.25:
            cmd, body = "add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": uid}]}
        elif kind < 0.4:
            cmd, body = "delete_group_member", {"GroupId": gid, "MemberToDel_Account": [uid]}
        elif kind < 0.7:
            cmd, body = "send_group_msg", {"GroupId": gid, "From_Account": uid, "Random": n,
                                           "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": f"m{n}"}}]}
        elif kind < 0.75:
            cmd, body = "group_msg_recall", {"GroupId": gid, "MsgSeqList": [{"MsgSeq": rng.randint(1, 50)}]}
        elif kind < 0.92:
            service, cmd = "openim", "sendmsg"
            body = {"From_Account": uid, "To_Account": rng.choice(ctx["users"]), "MsgRandom": n,
                    "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": f"c{n}"}}]}
        else:
            service, cmd = "openim", "admin_set_msg_read"
            body = {"Report_Account": uid, "Peer_Account": rng.choice(ctx["users"])}
        ops.append({"method": "POST", "path": f"/v4/{service}/{cmd}", "params": ctx["query"],
                    "data": orjson.dumps(body), "headers": {"Content-Type": "application/json"}})
    return ops


# The mix sends hundreds of group messages in one frozen second: the 40/s group limit is off.
TC_MSG_SCENARIO = {"tencent": {"apps": [{**TC_SCENARIO["tencent"]["apps"][0],
                                         "message_settings": {"group_msg_per_second": 0}}]}}


async def test_tencent_messages_concurrent_mix_equals_serial_replay(aiohttp_client):
    await check_run(aiohttp_client, "tencent", tc_setup, tc_message_ops, TC_MSG_SCENARIO)


def openim_message_ops(ctx, rng: random.Random) -> list[dict]:
    """Membership changes (each storing its 15xx notification) racing group and single sends,
    mutes, revokes and read marks: a group send is accepted or refused (1203, 1402) by the state
    at the moment it runs, and every seq is given exactly once."""
    ops = []
    for n in range(OPERATIONS):
        gid, uid = rng.choice(ctx["groups"]), rng.choice(ctx["users"])
        kind = rng.random()
        if kind < 0.2:
            path, body = "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": [uid], "reason": ""}
        elif kind < 0.3:
            path, body = "/group/kick_group", {"groupID": gid, "kickedUserIDs": [uid], "reason": ""}
        elif kind < 0.35:
            path, body = "/group/mute_group_member", {"groupID": gid, "userID": uid, "mutedSeconds": 1}
        elif kind < 0.65:
            path, body = "/msg/send_msg", {"sendID": uid, "groupID": gid, "sessionType": 3, "contentType": 101,
                                           "content": {"content": f"m{n}"}}
        elif kind < 0.85:
            path, body = "/msg/send_msg", {"sendID": uid, "recvID": rng.choice(ctx["users"]), "sessionType": 1,
                                           "contentType": 101, "content": {"content": f"c{n}"}}
        elif kind < 0.92:
            path, body = "/msg/revoke_msg", {"conversationID": f"sg_{gid}", "seq": rng.randint(1, 60),
                                             "userID": "imAdmin"}
        else:
            path, body = "/msg/mark_msgs_as_read", {"conversationID": f"sg_{gid}", "seqs": [rng.randint(1, 30)],
                                                    "userID": uid}
        ops.append({"method": "POST", "path": path, "data": orjson.dumps(body),
                    "headers": {"operationID": f"op{n}", "token": ctx["token"]}})
    return ops


async def test_openim_messages_concurrent_mix_equals_serial_replay(aiohttp_client):
    await check_run(aiohttp_client, "openim", openim_setup, openim_message_ops)


def rc_message_ops(ctx, rng: random.Random) -> list[dict]:
    """Joins/quits racing private, group and system publishes and recalls of earlier UIDs."""
    from urllib.parse import urlencode
    ops = []
    txt = orjson.dumps({"content": "hi"}).decode()
    for n in range(OPERATIONS):
        gid, uid = rng.choice(ctx["groups"]), rng.choice(ctx["users"])
        kind = rng.random()
        if kind < 0.2:
            path, form = "/entrust/group/join.json", {"groupId": gid, "userIds": uid}
        elif kind < 0.3:
            path, form = "/entrust/group/quit.json", {"groupId": gid, "userIds": uid}
        elif kind < 0.55:
            path, form = "/message/group/publish.json", {"fromUserId": uid, "toGroupId": gid,
                                                         "objectName": "RC:TxtMsg", "content": txt}
        elif kind < 0.8:
            path, form = "/message/private/publish.json", {"fromUserId": uid, "toUserId": rng.choice(ctx["users"]),
                                                           "objectName": "RC:TxtMsg", "content": txt}
        elif kind < 0.9:
            path, form = "/message/system/publish.json", {"fromUserId": "sys", "toUserId": uid,
                                                          "objectName": "RC:TxtMsg", "content": txt}
        else:
            path, form = "/message/recall.json", {"fromUserId": uid, "conversationType": 3, "targetId": gid,
                                                  "messageUID": f"AAAA-BBBB-CCCC-{n:04d}"}
        ops.append({"method": "POST", "path": path, "data": urlencode(form), "headers": rc_headers()})
    return ops


async def test_rongcloud_messages_concurrent_mix_equals_serial_replay(aiohttp_client):
    await check_run(aiohttp_client, "rongcloud", rc_setup, rc_message_ops, RC_SCENARIO)
