"""OpenIM /user routes beyond register/info: get_users, update_user_info, online status and token
detail (from /_emulator/presence and the token store), process_user_command_*, force_logout's
presence effect, /_emulator/tokens/check for OpenIM tokens, and their state
(reference openim-users-messages-webhooks.md §1). Tokens come from the emulator's /auth routes."""

from __future__ import annotations

import pytest

from tests.openim_support import get_user_token, openim_call, openim_settings

TENANT = "default"      # the tenant's id in fixtures/openim-default.yaml (not its secret)


@pytest.fixture
def settings():
    return openim_settings()


async def call(client, path, body, token):
    return (await openim_call(client, path, body, token=token))


async def err(client, path, body, token):
    _, b = await openim_call(client, path, body, token=token)
    return b["errCode"], b["errDlt"]


async def online(client, user, platform, on=True):
    resp = await client.post("/_emulator/presence", json={"provider": "openim", "tenant": TENANT, "user": user,
                                                         "platform": platform, "online": on})
    assert resp.status == 200, await resp.text()
    return await resp.json()


# --- get_users -------------------------------------------------------------------------------------
async def test_get_users_paging_levels_and_filters(client, openim_admin_token, openim_user_token):
    a = openim_admin_token
    bob = await openim_user_token("bob")
    _, body = await call(client, "/user/user_register", {"users": [
        {"userID": "notify1", "nickname": "N", "appMangerLevel": 3},
        {"userID": "lvl1", "nickname": "Bobby", "appMangerLevel": 1}]}, a)
    assert body["errCode"] == 0
    _, body = await call(client, "/user/get_users", {"pagination": {"pageNumber": 1, "showNumber": 10}}, bob)
    ids = [u["userID"] for u in body["data"]["users"]]
    assert ids == ["leckie", "bob", "tommy", "jared", "lvl1"] and body["data"]["total"] == 5  # no imAdmin, no level 3
    assert set(body["data"]["users"][0]) == {"userID", "nickname", "faceURL", "ex", "createTime", "appMangerLevel", "globalRecvMsgOpt"}
    _, body = await call(client, "/user/get_users", {"pagination": {"pageNumber": 2, "showNumber": 2}}, bob)
    assert [u["userID"] for u in body["data"]["users"]] == ["tommy", "jared"]
    _, body = await call(client, "/user/get_users", {"pagination": {"pageNumber": 9, "showNumber": 2}}, bob)
    assert body["data"] == {"total": 5, "users": None}
    # unanchored, case-insensitive, userID OR nickName
    _, body = await call(client, "/user/get_users", {"pagination": {"pageNumber": 1, "showNumber": 10},
                                                    "userID": "OB", "nickName": "^bobby$"}, bob)
    assert [u["userID"] for u in body["data"]["users"]] == ["bob", "lvl1"]


async def test_get_users_total_follows_each_registration(client, openim_admin_token, openim_user_token):
    """get_users' unfiltered total is counted once per change of the user table (flat cost):
    every registration, listed or not, must show in the next answer."""
    bob = await openim_user_token("bob")
    page = {"pagination": {"pageNumber": 1, "showNumber": 100}}
    _, before = await call(client, "/user/get_users", page, bob)
    for users, listed in (([{"userID": "late1", "nickname": "L"}], 1),
                          ([{"userID": "late2", "nickname": "N", "appMangerLevel": 3}], 0),
                          ([{"userID": "late3", "nickname": "M"}, {"userID": "late4", "nickname": "O"}], 2)):
        _, body = await call(client, "/user/user_register", {"users": users}, openim_admin_token)
        assert body["errCode"] == 0
        _, after = await call(client, "/user/get_users", page, bob)
        assert after["data"]["total"] == before["data"]["total"] + listed
        assert len(after["data"]["users"]) == after["data"]["total"]
        before = after
    assert [u["userID"] for u in before["data"]["users"]][-3:] == ["late1", "late3", "late4"]


@pytest.mark.parametrize("body, expected", [
    ({}, (1001, "pagination is empty")),
    ({"pagination": {"pageNumber": 0, "showNumber": 1}}, (1001, "pageNumber is invalid")),
    ({"pagination": {"pageNumber": 1, "showNumber": 1}, "userID": "("}, (500, None)),
    ({"pagination": {"pageNumber": "1"}}, (1001, None)),
])
async def test_get_users_errors(client, openim_admin_token, body, expected):
    code, dlt = await err(client, "/user/get_users", body, openim_admin_token)
    assert code == expected[0] and (expected[1] is None or dlt == expected[1])


# --- update_user_info --------------------------------------------------------------------------------
async def test_update_user_info_writes_non_empty_only(client, openim_admin_token, openim_user_token):
    bob = await openim_user_token("bob")
    _, body = await call(client, "/user/update_user_info", {"userInfo": {"userID": "bob", "nickname": "B", "ex": "e",
                                                                         "globalRecvMsgOpt": 2}}, bob)
    assert body == {"errCode": 0, "errMsg": "", "errDlt": ""}
    _, body = await call(client, "/user/update_user_info", {"userInfo": {"userID": "bob", "nickname": "", "faceURL": "f",
                                                                         "globalRecvMsgOpt": 0}}, openim_admin_token)
    assert body["errCode"] == 0
    _, body = await call(client, "/user/get_users_info", {"userIDs": ["bob"]}, bob)
    u = body["data"]["usersInfo"][0]
    assert (u["nickname"], u["faceURL"], u["ex"], u["globalRecvMsgOpt"]) == ("B", "f", "e", 2)


@pytest.mark.parametrize("body, who, expected", [
    ({}, "admin", (1001, "UserInfo is empty")),
    ({"userInfo": {"userID": ""}}, "admin", (1001, "UserID is empty")),
    ({"userInfo": {"userID": "tommy", "nickname": "x"}}, "bob", (1002, "ownerUserID, tommy=MISSING")),
    ({"userInfo": {"userID": "ghost", "nickname": "x"}}, "admin", (1004, "mongo: no documents in result mongo find one")),
])
async def test_update_user_info_errors(client, openim_admin_token, openim_user_token, body, who, expected):
    token = openim_admin_token if who == "admin" else await openim_user_token(who)
    assert await err(client, "/user/update_user_info", body, token) == expected


# --- online status / token detail ----------------------------------------------------------------------
async def test_online_status_from_presence(client, openim_admin_token, openim_user_token):
    a = openim_admin_token
    web = await openim_user_token("bob", 5)
    await online(client, "bob", 5)
    await online(client, "bob", "ios")
    _, body = await call(client, "/user/get_users_online_status", {"userIDs": ["bob", "tommy", "bob"]}, a)
    bob_row = {"userID": "bob", "status": 1, "detailPlatformStatus": [
        {"platformID": 5, "connID": "bob-5", "isBackground": False, "token": web},
        {"platformID": 1, "connID": "bob-1", "isBackground": False, "token": ""}]}
    assert body["data"] == [bob_row, {"userID": "tommy", "status": 0, "detailPlatformStatus": None}, bob_row]
    _, body = await call(client, "/user/get_users_online_status", {}, a)
    assert body == {"errCode": 0, "errMsg": "", "errDlt": "", "data": None}
    bob = await openim_user_token("bob", 2)
    assert await err(client, "/user/get_users_online_status", {"userIDs": ["bob"]}, bob) == (1002, "only app manager")
    # the token detail: any caller, online users only
    _, body = await call(client, "/user/get_users_online_token_detail", {"userIDs": ["bob", "tommy"]}, bob)
    assert body["data"] == [{"userID": "bob", "status": 1, "singlePlatformToken": [
        {"platformID": 5, "total": 1, "token": [web]}, {"platformID": 1, "total": 0, "token": None}]}]
    _, body = await call(client, "/user/get_users_online_token_detail", {"userIDs": ["tommy"]}, bob)
    assert body["data"] is None


async def test_gin_bound_routes_answer_400(client, openim_admin_token):
    status, body = await openim_call(client, "/user/get_users_online_status", raw=b"{", token=openim_admin_token)
    assert status == 400 and body["errCode"] == 500 and body["errDlt"]
    status, body = await openim_call(client, "/user/get_users_online_token_detail", {"userIDs": "bob"},
                                     token=openim_admin_token)
    assert status == 400 and body["errCode"] == 1001 and "cannot unmarshal" in body["errDlt"]


async def test_force_logout_takes_the_platform_offline(client, openim_admin_token):
    a = openim_admin_token
    tok = await get_user_token(client, a, "bob", 5)
    await online(client, "bob", "Web")
    await online(client, "bob", "Android")
    _, body = await call(client, "/auth/force_logout", {"userID": "bob", "platformID": 5}, a)
    assert body["errCode"] == 0
    view = await (await client.get("/_emulator/presence", params={"provider": "openim", "tenant": TENANT, "user": "bob"})).json()
    assert list(view["platforms"]) == ["Android"]
    check = await (await client.post("/_emulator/tokens/check", json={"provider": "openim", "tenant": TENANT, "token": tok})).json()
    assert (check["valid"], check["reason"], check["user"]) == (False, "revoked: kicked", "bob")


async def test_tokens_check_for_openim(client, openim_admin_token):
    tok = await get_user_token(client, openim_admin_token, "tommy", 1)

    async def check(token):
        resp = await client.get("/_emulator/tokens/check", params={"provider": "openim", "tenant": TENANT, "token": token})
        return await resp.json()
    ok = await check(tok)
    assert ok["valid"] and ok["user"] == "tommy" and ok["platform"] == "1" and ok["expires_at"] > 0
    assert (await check("abc"))["reason"] == "invalid: 1503 TokenMalformedError"
    await get_user_token(client, openim_admin_token, "tommy", 1)       # same platform: the old one is kicked
    assert (await check(tok))["reason"] == "revoked: kicked"
    resp = await client.post("/_emulator/clock", json={"advance_s": 91 * 86400})
    assert resp.status == 200
    assert (await check(openim_admin_token))["reason"] == "expired"


async def test_presence_platform_validation(client):
    for bad in (0, 12, "Symbian", True):
        resp = await client.post("/_emulator/presence", json={"provider": "openim", "tenant": TENANT, "user": "bob",
                                                             "platform": bad, "online": True})
        assert resp.status == 400, bad


# --- process_user_command_* ----------------------------------------------------------------------------
async def test_user_commands(client, openim_admin_token, openim_user_token):
    bob = await openim_user_token("bob")
    add = "/user/process_user_command_add"
    assert (await call(client, add, {"userID": "bob", "type": 7, "uuid": "u1", "value": "v1"}, bob))[1]["errCode"] == 0
    # ex given: its value becomes the value and ex is stored empty (§1.10)
    assert (await call(client, add, {"userID": "bob", "type": 7, "uuid": "u2", "value": "v", "ex": "E"}, bob))[1]["errCode"] == 0
    assert (await call(client, add, {"userID": "bob", "type": 8, "uuid": "u1"}, bob))[1]["errCode"] == 0
    _, body = await call(client, "/user/process_user_command_get", {"userID": "bob", "type": 7}, bob)
    rows = body["data"]["CommandResp"]
    assert [(r["uuid"], r["value"], r["ex"]) for r in rows] == [("u1", "v1", ""), ("u2", "E", "")]
    assert all(isinstance(r["createTime"], int) and r["createTime"] < 10 ** 11 for r in rows)   # seconds
    _, body = await call(client, "/user/process_user_command_update", {"userID": "bob", "type": 7, "uuid": "u1", "ex": "x"}, bob)
    assert body["errCode"] == 0
    _, body = await call(client, "/user/process_user_command_delete", {"userID": "bob", "type": 8, "uuid": "u1"}, bob)
    assert body["errCode"] == 0
    _, body = await call(client, "/user/process_user_command_get_all", {"userID": "bob"}, openim_admin_token)
    assert [(r["type"], r["uuid"], r["value"], r["ex"]) for r in body["data"]["CommandResp"]] == [
        (7, "u1", "v1", "x"), (7, "u2", "E", "")]
    _, body = await call(client, "/user/process_user_command_get_all", {"userID": "tommy"}, openim_admin_token)
    assert body["data"] == {"CommandResp": None}


@pytest.mark.parametrize("path, body, who, expected", [
    ("add", {"type": 1, "uuid": "u"}, "bob", (1001, "userID is empty")),
    ("add", {"userID": "bob", "uuid": "u"}, "bob", (1001, "type is not specified")),
    ("add", {"userID": "bob", "type": 1}, "bob", (1001, "UUID is empty")),
    ("add", {"userID": "tommy", "type": 1, "uuid": "u"}, "bob", (1002, "ownerUserID, tommy=MISSING")),
    ("delete", {"userID": "bob", "type": 1, "uuid": "none"}, "bob", (1004, "RecordNotFoundError")),
    ("update", {"userID": "bob", "type": 1, "uuid": "none", "value": "v"}, "bob", (1004, "RecordNotFoundError")),
    ("update", {"userID": "bob", "type": 1, "uuid": "none"}, "bob", (0, "")),
    ("get", {"userID": "bob"}, "bob", (1001, "type is not specified")),
    ("get_all", {}, "bob", (1001, "userID is empty")),
    ("get_all", {"userID": "tommy"}, "bob", (1002, "ownerUserID, tommy=MISSING")),
])
async def test_user_command_errors(client, openim_user_token, path, body, who, expected):
    token = await openim_user_token(who)
    assert await err(client, f"/user/process_user_command_{path}", body, token) == expected


async def test_user_commands_state_and_cap(client, openim_admin_token, runtime, monkeypatch):
    from emulator.providers.openim import models_user_routes as R
    monkeypatch.setattr(R, "USER_COMMANDS_MAX", 2)
    for i in range(3):
        await call(client, "/user/process_user_command_add", {"userID": "bob", "type": 1, "uuid": f"u{i}"}, openim_admin_token)
    await online(client, "bob", "Web")
    t = runtime.providers["openim"].backend.tenants[TENANT]
    assert [r[2] for r in t.user_commands.values()] == ["u1", "u2"] and t.user_commands_dropped == 1
    dump = await (await client.get("/_emulator/state", params={"provider": "openim"})).json()
    assert dump["openim"][TENANT]["user_commands_dropped"] == 1
    assert dump["openim"][TENANT]["presence"]["online"]["bob"]
    assert (await client.post("/_emulator/reset")).status == 200
    assert runtime.providers["openim"].backend.tenants[TENANT].user_commands == {}
    assert (await client.put("/_emulator/state", json=dump)).status == 200
    assert await (await client.get("/_emulator/state", params={"provider": "openim"})).json() == dump
    assert (await client.get("/_emulator/state/check")).status == 200
    t = runtime.providers["openim"].backend.tenants[TENANT]
    t.user_commands[99] = ["bob", 1]
    body = await (await client.get("/_emulator/state/check")).json()
    assert any("user command 99" in p for p in body["problems"]["openim"])


async def test_gin_bind_500_text_follows_the_version_profile(client, openim_admin_token, runtime):
    t = runtime.providers["openim"].backend.tenants[TENANT]
    t.settings["error_format"] = "v3.8.3"      # the openim-versions profile setting, when present
    status, body = await openim_call(client, "/user/get_users_online_status", raw=b"[", token=openim_admin_token)
    assert status == 400 and body["errCode"] == 500 and body["errMsg"] != "ServerInternalError" and body["errDlt"] == ""


async def test_replaying_the_same_requests_gives_the_same_state(aiohttp_client):
    from emulator.app import create_app
    from tests.openim_support import get_admin_token

    async def run() -> dict:
        client = await aiohttp_client(create_app(openim_settings()))
        assert (await client.post("/_emulator/clock", json={"freeze_at": 1_790_000_000})).status == 200
        a = await get_admin_token(client)
        bob = await get_user_token(client, a, "bob", 5)
        await online(client, "bob", 5)
        for path, body in [("/user/process_user_command_add", {"userID": "bob", "type": 1, "uuid": "u", "value": "v"}),
                           ("/user/update_user_info", {"userInfo": {"userID": "bob", "nickname": "B"}}),
                           ("/auth/force_logout", {"userID": "bob", "platformID": 5})]:
            assert (await call(client, path, body, a))[1]["errCode"] == 0
        assert (await call(client, "/user/get_users_online_token_detail", {"userIDs": ["bob"]}, bob))[1]["errCode"] == 1506
        t = (await (await client.get("/_emulator/state", params={"provider": "openim"})).json())["openim"][TENANT]
        return {k: t[k] for k in ("user_commands", "user_command_seq", "presence", "tokens")}
    assert await run() == await run()


async def test_error_texts_in_both_version_profiles(aiohttp_client):
    """The same checks in both versions; only the texts follow the profile (openim-versions.md
    1.1/1.3): Check failures carry their text in patch.16 and "" in v3.8.3; a missing user is
    Mongo's not-found text; a missing command record is errs.Wrap (errDlt = errMsg) in both."""
    from emulator.app import create_app
    from emulator.settings import Settings, fixtures_dir
    from tests.openim_support import get_admin_token
    client = await aiohttp_client(create_app(Settings(port=0, providers=("openim",),
                                                      scenario=fixtures_dir() / "openim-versions.yaml")))
    expected = {
        "openIM123": [(1001, "UserInfo is empty"), (1001, "type is not specified"),
                      (1004, "mongo: no documents in result mongo find one"), (1004, "RecordNotFoundError"),
                      (1001, "pageNumber is invalid")],
        "openIM383": [(1001, ""), (1001, ""), (1004, "mongo find one"), (1004, "RecordNotFoundError"), (1001, "")],
    }
    for secret, want in expected.items():
        a = await get_admin_token(client, secret)
        got = [await err(client, "/user/update_user_info", {}, a),
               await err(client, "/user/process_user_command_get", {"userID": "bob"}, a),
               await err(client, "/user/update_user_info", {"userInfo": {"userID": "ghost"}}, a),
               await err(client, "/user/process_user_command_delete", {"userID": "bob", "type": 1, "uuid": "x"}, a),
               await err(client, "/user/get_users", {"pagination": {"pageNumber": 0}}, a)]
        assert got == want, secret
        # the routes answer in both versions (openim-versions.md §15: same router)
        _, body = await call(client, "/user/get_users", {"pagination": {"pageNumber": 1, "showNumber": 1}}, a)
        assert body["errCode"] == 0 and body["data"]["total"] == 4
