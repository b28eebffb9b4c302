"""RongCloud users through HTTP: registration and tokens, push info, presence and checkOnline,
bans on the emulator clock, deactivation. Calls the official ``rongcloud`` 2.0.1 SDK offers go
through it; the others are signed the way the SDKs sign (tests/rongcloud_support.py)."""

from __future__ import annotations

import asyncio
import base64
import re

import pytest

from emulator.app import RUNTIME, create_app
from tests.rongcloud_support import RC_APP_KEY, RC_APP_SECRET, rc_call

P, T = "rongcloud", RC_APP_KEY
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9+/]{43}=@([a-z0-9]{4})\.cn\.rongnav\.com;\1\.cn\.rongcfg\.com")
T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC


def tenant(client):
    return client.app[RUNTIME].providers[P].backend.tenants[T]


async def control(client, method, path, **kw):
    resp = await client.request(method, "/_emulator" + path, **kw)
    return resp.status, await resp.json()


async def check_token(client, token):
    return (await control(client, "POST", "/tokens/check", json={"provider": P, "tenant": T, "token": token}))[1]


async def set_online(client, user, platform="iOS", online=True):
    return await control(client, "POST", "/presence",
                         json={"provider": P, "tenant": T, "user": user, "platform": platform, "online": online})


async def freeze(client, t=T0):
    await control(client, "POST", "/clock", json={"freeze_at": t})


async def advance(client, s):
    await control(client, "POST", "/clock", json={"advance_s": s})


# --- the official SDK ---------------------------------------------------------------------------------

@pytest.fixture
async def rc_server(aiohttp_server, rc_settings):
    return await aiohttp_server(create_app(rc_settings))


def drive_sdk(host: str) -> dict:
    from rongcloud import RongCloud
    from rongcloud.base import RongCloudBase
    saved = RongCloudBase.api_host
    RongCloudBase.api_host = host
    try:
        u = RongCloud(RC_APP_KEY, RC_APP_SECRET).User
        out = {"getToken": u.getToken(userId="sdkUser1", name="Sdk One", portraitUri="http://x/1.png").result,
               "getToken2": u.getToken(userId="sdkUser1", name="Sdk One", portraitUri="http://x/1.png").result,
               "refresh": u.refresh(userId="sdkUser1", name="Renamed").result,
               "checkOnline": u.checkOnline(userId="sdkUser1").result,
               "block": u.block(userId="sdkUser2", minute="10").result,
               "queryBlock": u.queryBlock().result,
               "unBlock": u.unBlock(userId="sdkUser2").result,
               "queryBlock_after": u.queryBlock().result,
               "addBlacklist": u.addBlacklist(userId="sdkUser1", blackUserId="sdkUser3").result,
               "queryBlacklist": u.queryBlacklist(userId="sdkUser1").result,
               "removeBlacklist": u.removeBlacklist(userId="sdkUser1", blackUserId="sdkUser3").result,
               "queryBlacklist_after": u.queryBlacklist(userId="sdkUser1").result}
        return out
    finally:
        RongCloudBase.api_host = saved


async def test_pypi_rongcloud_201_user_calls(rc_server):
    host = str(rc_server.make_url("")).rstrip("/")
    out = await asyncio.to_thread(drive_sdk, host)
    assert all(r["code"] == 200 for r in out.values()), out
    t1, t2 = out["getToken"]["token"], out["getToken2"]["token"]
    assert out["getToken"]["userId"] == "sdkUser1" and TOKEN_SHAPE.fullmatch(t1) and t1 != t2
    assert out["checkOnline"]["status"] == "0"
    assert [u["userId"] for u in out["queryBlock"]["users"]] == ["sdkUser2"]
    assert out["queryBlock_after"]["users"] == []
    assert out["queryBlacklist"]["users"] == ["sdkUser3"] and out["queryBlacklist_after"]["users"] == []
    t = rc_server.app[RUNTIME].providers[P].backend.tenants[T]
    assert t.users.users["sdkUser1"].name == "Renamed"
    assert t.users.users["sdkUser1"].portraitUri == "http://x/1.png"   # absent: unchanged
    assert t.presence.check(t1, 0).valid and t.presence.check(t2, 0).valid   # every token stays valid


# --- getToken, tokens --------------------------------------------------------------------------------

async def test_get_token_is_deterministic_and_checkable(rc_client, rc):
    a = await rc("/user/getToken.json", {"userId": "u1", "name": "One", "portraitUri": ""})
    assert a["userId"] == "u1" and TOKEN_SHAPE.fullmatch(a["token"])
    assert len(base64.b64decode(a["token"].split("@")[0])) == 32
    assert "Y1W2MeFwwwRxa0" not in a["token"]
    assert await check_token(rc_client, a["token"]) == {"valid": True, "reason": "ok", "user": "u1",
                                                        "platform": None, "expires_at": None}
    assert (await check_token(rc_client, a["token"] + "x"))["reason"] == "never issued"
    # the same requests on a fresh tenant give the same token (sequence + app secret, no randomness)
    await control(rc_client, "POST", "/reset")
    again = await rc("/user/getToken.json", {"userId": "u1", "name": "One", "portraitUri": ""})
    assert again["token"] == a["token"]
    other = await rc("/user/getToken.json", {"userId": "u2", "name": "Two"})
    assert other["token"] != a["token"] and other["token"].split("@")[1] == a["token"].split("@")[1]


@pytest.mark.parametrize("form,code", [
    ({"name": "n"}, 1002),                                   # userId missing
    ({"userId": "", "name": "n"}, 1002),
    ({"userId": "x" * 65, "name": "n"}, 1002),               # > 64 bytes
    ({"userId": "bad id!", "name": "n"}, 1002),              # letters, digits, + = - _ only
    ({"userId": "u1"}, 1002),                                # name missing
    ({"userId": "u1", "name": ""}, 1002),
    ({"userId": "u1", "name": "名" * 65}, 1005),            # > 64 characters and > 128 bytes
    ({"userId": "u1", "name": "n", "portraitUri": "h" * 1025}, 1005),
])
async def test_get_token_errors(rc, rc_client, form, code):
    await rc("/user/getToken.json", form, expect=code)
    assert tenant(rc_client).users.users == {} and tenant(rc_client).presence.tokens == {}


async def test_get_token_limits_accepted(rc):
    await rc("/user/getToken.json", {"userId": "a+b=c-d_e" + "x" * 55, "name": "n" * 128})  # 128 ASCII bytes
    await rc("/user/getToken.json", {"userId": "u2", "name": "名" * 64, "portraitUri": "h" * 1024})


async def test_dev_environment_user_cap_2007(rc_client, rc):
    tenant(rc_client).settings.max_users = 2
    await rc("/user/getToken.json", {"userId": "u1", "name": "n"})
    await rc("/user/getToken.json", {"userId": "u2", "name": "n"})
    await rc("/user/getToken.json", {"userId": "u1", "name": "again"})   # re-registering is fine
    status_body = await rc("/user/getToken.json", {"userId": "u3", "name": "n"}, expect=2007)
    assert status_body["errorMessage"]


async def test_token_expire(rc_client, rc):
    await freeze(rc_client)
    old = (await rc("/user/getToken.json", {"userId": "u1", "name": "n"}))["token"]
    other = (await rc("/user/getToken.json", {"userId": "u2", "name": "n"}))["token"]
    await advance(rc_client, 1)
    newer = (await rc("/user/getToken.json", {"userId": "u1", "name": "n"}))["token"]
    await set_online(rc_client, "u1")
    await rc("/user/token/expire.json", {"userId": ["u1", "nobody"], "time": str(T0 * 1000 + 500)})
    assert (await check_token(rc_client, old))["reason"] == "revoked: expired by /user/token/expire.json"
    assert (await check_token(rc_client, newer))["valid"] and (await check_token(rc_client, other))["valid"]
    assert (await rc("/user/checkOnline.json", {"userId": "u1"}))["status"] == "1"  # open connections stay
    # a time in the future also voids tokens obtained until then
    await rc("/user/token/expire.json", {"userId": "u2", "time": str(T0 * 1000 + 60_000)})
    later = (await rc("/user/getToken.json", {"userId": "u2", "name": "n"}))["token"]
    assert (await check_token(rc_client, later))["reason"].startswith("revoked")
    await rc("/user/token/expire.json", {"userId": "u2", "time": str(T0 * 1000)})   # a past time keeps the mark
    assert (await check_token(rc_client, (await rc("/user/getToken.json", {"userId": "u2", "name": "n"}))["token"]))["reason"].startswith("revoked")
    await advance(rc_client, 60)
    assert (await check_token(rc_client, (await rc("/user/getToken.json", {"userId": "u2", "name": "n"}))["token"]))["valid"]
    assert "u2" not in tenant(rc_client).users.expire_marks


@pytest.mark.parametrize("form,code", [
    ({"time": "1"}, 1002),
    ({"userId": "u1"}, 1002),
    ({"userId": "u1", "time": "soon"}, 1002),
    ({"userId": [f"u{i}" for i in range(21)], "time": "1"}, 1002),
    ({"userId": "u" * 65, "time": "1"}, 1002),
])
async def test_token_expire_errors(rc, form, code):
    await rc("/user/token/expire.json", form, expect=code)


async def test_token_expiry_with_an_expiry_time_on_the_clock(rc_client):
    """A provider may issue tokens with a lifetime; the check reads the emulator clock."""
    await freeze(rc_client)
    p = tenant(rc_client).presence
    p.issue("short", "u1", T0 * 1000, expires_at=T0 * 1000 + 5000)
    assert (await check_token(rc_client, "short"))["valid"]
    await advance(rc_client, 5)
    assert (await check_token(rc_client, "short")) == {"valid": False, "reason": "expired", "user": "u1",
                                                       "platform": None, "expires_at": T0 * 1000 + 5000}


# --- refresh, info ---------------------------------------------------------------------------------

async def test_refresh_and_info(rc_client, rc):
    await freeze(rc_client)
    await rc("/user/getToken.json", {"userId": "u1", "name": "One", "portraitUri": "http://p/1"})
    assert await rc("/user/info.json", {"userId": "u1"}) == {
        "code": 200, "userName": "One", "userPortrait": "http://p/1", "createTime": "2026-01-01 08:00:00"}
    await rc("/user/refresh.json", {"userId": "u1", "name": "", "portraitUri": "http://p/2"})  # Go SDK style
    info = await rc("/user/info.json", {"userId": "u1"})
    assert (info["userName"], info["userPortrait"]) == ("One", "http://p/2")
    await rc("/user/refresh.json", {"userId": "u1", "name": "Uno"})
    assert (await rc("/user/info.json", {"userId": "u1"}))["userName"] == "Uno"
    # never registered: empty fields (UNKNOWN on the real service); refresh registers push info
    assert await rc("/user/info.json", {"userId": "ghost"}) == {
        "code": 200, "userName": "", "userPortrait": "", "createTime": ""}
    await rc("/user/refresh.json", {"userId": "ghost", "name": "G"})
    assert (await rc("/user/info.json", {"userId": "ghost"}))["userName"] == "G"


@pytest.mark.parametrize("path,form,code", [
    ("/user/refresh.json", {"name": "x"}, 1002),
    ("/user/refresh.json", {"userId": "u1", "name": "名" * 65}, 1005),
    ("/user/refresh.json", {"userId": "u1", "portraitUri": "h" * 1025}, 1005),
    ("/user/info.json", {"userId": ""}, 1002),
    ("/user/info.json", {"userId": "u" * 65}, 1002),
    ("/user/checkOnline.json", {"other": "x"}, 1002),
])
async def test_refresh_info_online_errors(rc, path, form, code):
    await rc(path, form, expect=code)


async def test_empty_body_is_1003_where_a_parameter_is_required(rc_client):
    for path in ("/user/getToken.json", "/user/info.json", "/user/block.json", "/user/deactivate.json"):
        await rc_call(rc_client, path, None, expect=1003)


# --- presence and checkOnline ---------------------------------------------------------------------------

async def test_check_online_reads_presence(rc_client, rc):
    assert (await rc("/user/checkOnline.json", {"userId": "u1"}))["status"] == "0"
    await set_online(rc_client, "u1", "Android")
    await set_online(rc_client, "u1", "pc")
    assert (await rc("/user/checkOnline.json", {"userId": "u1"}))["status"] == "1"
    await set_online(rc_client, "u1", "Android", online=False)
    assert (await rc("/user/checkOnline.json", {"userId": "u1"}))["status"] == "1"   # still on PC
    await set_online(rc_client, "u1", "PC", online=False)
    body = await rc("/user/checkOnline.json", {"userId": "u1"})
    assert body == {"code": 200, "status": "0"} and isinstance(body["status"], str)


# --- bans -----------------------------------------------------------------------------------------

async def test_block_expires_on_the_clock(rc_client, rc):
    await freeze(rc_client)
    token = (await rc("/user/getToken.json", {"userId": "u1", "name": "n"}))["token"]
    await set_online(rc_client, "u1", "iOS")
    await set_online(rc_client, "u1", "PC")
    await rc("/user/block.json", {"userId": ["u1", "u2"], "minute": "1"})
    await rc("/user/block.json", {"userId": "u3", "minute": "43200"})
    assert (await rc("/user/checkOnline.json", {"userId": "u1"}))["status"] == "0"
    check = await check_token(rc_client, token)
    assert check["valid"] is False and check["reason"] == "user blocked until 2026-01-01 00:01:00 UTC"
    status, body = await set_online(rc_client, "u1")
    assert status == 409 and "blocked" in body["error"]
    q = await rc("/user/block/query.json", {})
    assert q["users"] == [{"userId": "u3", "blockEndTime": "2026-01-31 08:00:00"},
                          {"userId": "u1", "blockEndTime": "2026-01-01 08:01:00"},
                          {"userId": "u2", "blockEndTime": "2026-01-01 08:01:00"}]
    assert [u["userId"] for u in (await rc("/user/block/query.json", {"page": "2", "size": "2"}))["users"]] == ["u2"]
    await advance(rc_client, 60)   # the ban lifts itself
    assert [u["userId"] for u in (await rc("/user/block/query.json", {}))["users"]] == ["u3"]
    assert (await check_token(rc_client, token))["valid"] is True
    assert (await set_online(rc_client, "u1"))[0] == 200
    await rc("/user/unblock.json", {"userId": "u3"})
    assert (await rc("/user/block/query.json", {}))["users"] == []
    await rc("/user/unblock.json", {"userId": "never-blocked"})   # lenient about unknown users


@pytest.mark.parametrize("path,form,code", [
    ("/user/block.json", {"userId": "u1"}, 1002),
    ("/user/block.json", {"userId": "u1", "minute": "0"}, 1002),
    ("/user/block.json", {"userId": "u1", "minute": "43201"}, 1002),
    ("/user/block.json", {"userId": "u1", "minute": "ten"}, 1002),
    ("/user/block.json", {"userId": [f"u{i}" for i in range(21)], "minute": "1"}, 1002),
    ("/user/block.json", {"minute": "1"}, 1002),
    ("/user/unblock.json", {"userId": [f"u{i}" for i in range(21)]}, 1002),
    ("/user/block/query.json", {"size": "0"}, 1002),
    ("/user/block/query.json", {"page": "-1"}, 1002),
])
async def test_block_errors(rc_client, rc, path, form, code):
    await rc(path, form, expect=code)
    assert tenant(rc_client).presence.suspended_users == {}


async def test_block_limits_accepted(rc):
    await rc("/user/block.json", {"userId": ",".join(f"u{i}" for i in range(20)), "minute": "43200"})
    assert len((await rc("/user/block/query.json", {}))["users"]) == 20


# --- deactivation ------------------------------------------------------------------------------------

async def test_deactivate_reactivate(rc_client, rc):
    await freeze(rc_client)
    token = (await rc("/user/getToken.json", {"userId": "u1", "name": "n"}))["token"]
    await rc("/user/profile/set.json", {"userId": "u1", "userProfile": '{"name":"Nick"}'})
    await rc("/user/blacklist/add.json", {"userId": "u1", "blackUserId": "u9"})
    await rc("/entrust/group/create.json", {"groupId": "g1", "name": "G", "owner": "u1"})
    await set_online(rc_client, "u1", "Websocket")
    r = await rc("/user/deactivate.json", {"userId": "u1,u2"})
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}", r["operateId"])
    assert (await rc("/user/checkOnline.json", {"userId": "u1"}))["status"] == "0"
    assert (await check_token(rc_client, token))["reason"] == "revoked: deactivated"
    assert (await set_online(rc_client, "u1"))[0] == 409
    assert (await rc("/user/deactivate/query.json", {}))["users"] == ["u1", "u2"]
    assert (await rc("/user/deactivate/query.json", {"pageNo": "2", "pageSize": "1"}))["users"] == ["u2"]
    # profile, hosted profile and blocklist are gone; group membership stays
    assert (await rc("/user/info.json", {"userId": "u1"}))["userName"] == ""
    assert (await rc("/user/profile/batch/query.json", {"userId": "u1"}))["userList"] == []
    assert (await rc("/user/blacklist/query.json", {"userId": "u1"}))["users"] == []
    assert "u1" in tenant(rc_client).groups["g1"].members
    # a new token of a deactivated user does not let it in either
    fresh = (await rc("/user/getToken.json", {"userId": "u1", "name": "n"}))["token"]
    assert (await check_token(rc_client, fresh))["reason"] == "user deactivated"
    # not within an hour of the request: the reply is 200, the result (callback) says no
    r2 = await rc("/user/reactivate.json", {"userId": "u1,u3"})
    assert r2["operateId"] != r["operateId"]
    assert (await rc("/user/deactivate/query.json", {}))["users"] == ["u1", "u2"]
    ops = tenant(rc_client).users.operations
    assert ops[-2:] == [[r2["operateId"], 1, "u1", "within 1 hour of deactivation"],
                        [r2["operateId"], 1, "u3", "not deactivated"]]
    await advance(rc_client, 3600)
    await rc("/user/reactivate.json", {"userId": "u1"})
    assert (await rc("/user/deactivate/query.json", {}))["users"] == ["u2"]
    assert (await check_token(rc_client, fresh))["valid"] is True
    assert (await check_token(rc_client, token))["reason"] == "revoked: deactivated"   # old tokens stay void
    await rc("/user/reactivate.json", {"userId": "u1"})        # repeats do not fail


@pytest.mark.parametrize("path,form,code", [
    ("/user/deactivate.json", {"userId": ",".join(f"u{i}" for i in range(101))}, 1002),
    ("/user/deactivate.json", {"userId": ","}, 1002),
    ("/user/reactivate.json", {"userId": ",".join(f"u{i}" for i in range(101))}, 1002),
    ("/user/reactivate.json", {"userId": "u" * 65}, 1002),
    ("/user/deactivate/query.json", {"pageNo": "0"}, 1002),
    ("/user/deactivate/query.json", {"pageSize": "51"}, 1002),
    ("/user/deactivate/query.json", {"pageSize": "0"}, 1002),
])
async def test_deactivate_errors(rc_client, rc, path, form, code):
    await rc(path, form, expect=code)
    assert tenant(rc_client).users.deactivated == {}


async def test_deactivate_limit_accepted(rc):
    await rc("/user/deactivate.json", {"userId": ",".join(f"u{i}" for i in range(100))})
    assert len((await rc("/user/deactivate/query.json", {"pageSize": "50", "pageNo": "2"}))["users"]) == 50


# --- state ------------------------------------------------------------------------------------------

async def test_dump_load_reset_check_cover_users(rc_client, rc):
    await freeze(rc_client)
    token = (await rc("/user/getToken.json", {"userId": "u1", "name": "n"}))["token"]
    await rc("/user/block.json", {"userId": "u2", "minute": "5"})
    await rc("/user/deactivate.json", {"userId": "u3"})
    await rc("/user/blacklist/add.json", {"userId": "u1", "blackUserId": "u4"})
    await rc("/user/profile/set.json", {"userId": "u1", "userExtProfile": '{"ext_a":"b"}'})
    await set_online(rc_client, "u1", "HarmonyOS")
    _, dump = await control(rc_client, "GET", "/state", params={"provider": P})
    await control(rc_client, "POST", "/reset")
    assert (await check_token(rc_client, token))["reason"] == "never issued"
    assert (await rc("/user/checkOnline.json", {"userId": "u1"}))["status"] == "0"
    assert (await rc("/user/block/query.json", {}))["users"] == []
    status, _ = await control(rc_client, "PUT", "/state", json=dump)
    assert status == 200
    assert (await check_token(rc_client, token))["valid"]
    assert (await rc("/user/checkOnline.json", {"userId": "u1"}))["status"] == "1"
    assert [u["userId"] for u in (await rc("/user/block/query.json", {}))["users"]] == ["u2"]
    assert (await rc("/user/deactivate/query.json", {}))["users"] == ["u3"]
    assert (await rc("/user/blacklist/query.json", {"userId": "u1"}))["users"] == ["u4"]
    _, again = await control(rc_client, "GET", "/state", params={"provider": P})
    assert again == dump
    # the next token continues the sequence, so it differs from the first
    assert (await rc("/user/getToken.json", {"userId": "u1", "name": "n"}))["token"] != token
    assert (await control(rc_client, "GET", "/state/check"))[0] == 200
    t = tenant(rc_client)
    t.presence.suspended_users.pop("u3")            # deactivated but not suspended
    t.presence.online["u3"] = {"PC": 1}
    status, body = await control(rc_client, "GET", "/state/check")
    assert status == 409 and any("deactivated" in p for p in body["problems"][P])


async def test_double_slash_path_of_the_go_sdk_is_collapsed(rc_server):
    import aiohttp
    from tests.rongcloud_support import rc_form, rc_sign
    base = str(rc_server.make_url("")).rstrip("/")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with aiohttp.ClientSession() as s:
        async def post(path, form):
            async with s.post(base + path, data=rc_form(form), headers={**headers, **rc_sign()}) as r:
                return r.status, await r.json()
        assert (await post("/user/deactivate.json", {"userId": "u1"}))[0] == 200
        status, body = await post("//user/deactivate/query.json", {"pageNo": "1", "pageSize": "50"})
        assert (status, body) == (200, {"code": 200, "users": ["u1"]})
        status, body = await post("//no/such/path.json", {"a": "b"})
        assert (status, body["code"]) == (404, 404)   # RongCloud's own not-found answer


async def test_replaying_the_same_requests_gives_the_same_state(aiohttp_client, rc_settings):
    """Tokens, operateIds and versions come from sequences, the secret and the clock: no randomness."""
    dumps = []
    for _ in range(2):
        client = await aiohttp_client(create_app(rc_settings))
        await freeze(client)
        for form in ({"userId": "a", "name": "A"}, {"userId": "b", "name": "B"}, {"userId": "a", "name": "A2"}):
            await rc_call(client, "/user/getToken.json", form)
        await rc_call(client, "/user/deactivate.json", {"userId": "b"})
        await rc_call(client, "/user/block.json", {"userId": "a", "minute": "3"})
        await rc_call(client, "/user/profile/set.json", {"userId": "a", "userProfile": '{"level":1}'})
        await rc_call(client, "/user/blacklist/add.json", {"userId": "a", "blackUserId": "c"})
        dumps.append((await control(client, "GET", "/state"))[1])
    assert dumps[0] == dumps[1]
    assert len(dumps[0][P][T]["presence"]["tokens"]) == 3


# --- rc-server-sdk 3.2.0 (its own virtualenv, shared with tests/test_rongcloud_sdk.py) ----------------

from tests.test_rongcloud_sdk import rc_server_sdk_python  # noqa: E402,F401  (session fixture)

USER_DRIVER = '''
import json, sys
from rongcloud.rongcloud import RongCloud
rc = RongCloud(sys.argv[2], sys.argv[3], host_url=sys.argv[1])
user = rc.get_user()
block, black, white = user.get_block(), user.get_blacklist(), user.get_whitelist()
out = []
def step(name, rep):
    out.append([name, rep])
step("register", user.register("py3user1", "Py Three", "http://p/3.png"))
step("update", user.update("py3user1", "Renamed", "http://p/4.png"))
step("query", user.query("py3user1"))
step("check_online", user.check_online("py3user1"))
step("block_add", block.add(["py3user2", "py3user3"], 10))
step("block_query", block.query())
step("block_remove", block.remove(["py3user2", "py3user3"]))
step("black_add", black.add("py3user1", ["b1", "b2"]))
step("black_query", black.query("py3user1"))
step("black_remove", black.remove("py3user1", ["b1"]))
step("white_add", white.add("py3user1", ["w1", "w2"]))
step("white_query", white.query("py3user1"))
step("white_remove", white.remove("py3user1", "w1"))
print(json.dumps(out, ensure_ascii=False))
'''


async def test_rc_server_sdk_320_user_calls(rc_server, rc_server_sdk_python, tmp_path):
    import json
    import os
    script = tmp_path / "drive_users.py"
    script.write_text(USER_DRIVER, encoding="utf-8")
    host = str(rc_server.make_url("")).rstrip("/")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    proc = await asyncio.create_subprocess_exec(rc_server_sdk_python, str(script), host, RC_APP_KEY,
                                                RC_APP_SECRET, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, cwd=str(tmp_path), env=env)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()
    out = dict(json.loads(stdout))
    assert all(r["code"] == 200 for r in out.values()), {k: v for k, v in out.items() if v["code"] != 200}
    assert TOKEN_SHAPE.fullmatch(out["register"]["token"]) and out["register"]["userId"] == "py3user1"
    assert (out["query"]["userName"], out["query"]["userPortrait"]) == ("Renamed", "http://p/4.png")
    assert out["check_online"]["status"] == "0"
    assert [u["userId"] for u in out["block_query"]["users"]] == ["py3user2", "py3user3"]
    assert out["black_query"]["users"] == ["b2", "b1"]
    assert out["white_query"]["users"] == ["w1", "w2"]
    t = rc_server.app[RUNTIME].providers[P].backend.tenants[T]
    assert t.presence.suspended_users == {}
    assert t.users.blacklists == {"py3user1": {"b2": t.users.blacklists["py3user1"]["b2"]}}
    assert list(t.users.whitelists["py3user1"]) == ["w2"]
