"""Tencent users: kick, query_online_status / querystate, portrait_set / portrait_get, the
OnlineStatus member column, and their state (reference tencent-messages-users-callbacks.md §9, §14).
Every call is signed with tls-sig-api-v2; presence is set through /_emulator/presence."""

from __future__ import annotations

import time

import pytest

from tests.tencent_support import SDKAPPID, set_clock, tencent_sig

T = str(SDKAPPID)
SET, GET = "profile/portrait_set", "profile/portrait_get"
QUERY = "openim/query_online_status"
NOW = int(time.time())       # a frozen clock near the wall clock, so tls-sig-api-v2's sigs are fresh


async def online(client, user, platform, on=True):
    resp = await client.post("/_emulator/presence", json={"provider": "tencent", "tenant": T, "user": user,
                                                         "platform": platform, "online": on})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def token_check(client, token):
    resp = await client.post("/_emulator/tokens/check", json={"provider": "tencent", "tenant": T, "token": token})
    assert resp.status == 200, await resp.text()
    return await resp.json()


def code(body):
    return body["ErrorCode"]


# --- portrait_set / portrait_get ------------------------------------------------------------------
async def test_portrait_roundtrip_and_defaults(tim):
    assert code(await tim("im_open_login_svc/account_import", {"UserID": "amy", "Nick": "Amy"})) == 0
    body = await tim(SET, {"From_Account": "amy", "ProfileItem": [
        {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
        {"Tag": "Tag_Profile_IM_BirthDay", "Value": 20190419},
        {"Tag": "Tag_Profile_IM_Image", "Value": "http://x/a.png"},
        {"Tag": "Tag_Profile_IM_Level", "Value": 4294967295}]})
    assert body == {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "ErrorDisplay": ""}
    tags = ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Gender", "Tag_Profile_IM_BirthDay", "Tag_Profile_IM_Image",
            "Tag_Profile_IM_Level", "Tag_Profile_IM_AllowType", "Tag_Profile_IM_SelfSignature"]
    body = await tim(GET, {"To_Account": ["amy", "bob"], "TagList": tags})
    assert code(body) == 0 and "Fail_Account" not in body and body["ErrorDisplay"] == ""
    amy, bob = body["UserProfileItem"]
    assert amy == {"To_Account": "amy", "ResultCode": 0, "ResultInfo": "", "ProfileItem": [
        {"Tag": "Tag_Profile_IM_Nick", "Value": "Amy"},             # account_import's Nick (§9.2)
        {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
        {"Tag": "Tag_Profile_IM_BirthDay", "Value": 20190419},
        {"Tag": "Tag_Profile_IM_Image", "Value": "http://x/a.png"},
        {"Tag": "Tag_Profile_IM_Level", "Value": 4294967295},
        {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_NeedConfirm"},
        {"Tag": "Tag_Profile_IM_SelfSignature", "Value": ""}]}
    assert bob["ProfileItem"][1] == {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Unknown"}
    assert bob["ProfileItem"][2] == {"Tag": "Tag_Profile_IM_BirthDay", "Value": 0}
    # portrait_set of the Nick is what account_import reads and writes too
    assert code(await tim(SET, {"From_Account": "amy", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "A2"}]})) == 0
    body = await tim(GET, {"To_Account": ["amy"], "TagList": ["Tag_Profile_IM_Nick"]})
    assert body["UserProfileItem"][0]["ProfileItem"] == [{"Tag": "Tag_Profile_IM_Nick", "Value": "A2"}]


@pytest.mark.parametrize("body, expected", [
    ({"ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "x"}]}, 40002),
    ({"From_Account": "bob"}, 40001),
    ({"From_Account": "bob", "ProfileItem": []}, 40001),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick"}]}, 40001),
    ({"From_Account": "nobody", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "x"}]}, 40003),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nope", "Value": "x"}]}, 40009),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_Custom_Hobby", "Value": "x"}]}, 40009),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_BirthDay", "Value": "20190419"}]}, 40610),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": 5}]}, 40610),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Level", "Value": True}]}, 40610),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Gender", "Value": "Male"}]}, 40605),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Level", "Value": 2 ** 32}]}, 40605),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Level", "Value": -1}]}, 40605),
    ({"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_SelfSignature", "Value": "x" * 501}]}, 40601),
    ({"From_Account": 7, "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "x"}]}, 60015),
])
async def test_portrait_set_errors(tim, body, expected):
    assert code(await tim(SET, body)) == expected


async def test_portrait_set_is_all_or_nothing(tim):
    body = await tim(SET, {"From_Account": "bob", "ProfileItem": [
        {"Tag": "Tag_Profile_IM_SelfSignature", "Value": "hello"},
        {"Tag": "Tag_Profile_IM_AllowType", "Value": "bogus"}]})
    assert code(body) == 40605
    body = await tim(GET, {"To_Account": ["bob"], "TagList": ["Tag_Profile_IM_SelfSignature"]})
    assert body["UserProfileItem"][0]["ProfileItem"][0]["Value"] == ""


async def test_error_body_shape_and_texts(tim):
    assert await tim(SET, {"From_Account": "ghost", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "x"}]}) == {
        "ActionStatus": "FAIL", "ErrorInfo": "Err_Profile_Invalid_Account", "ErrorCode": 40003}
    assert await tim(SET, {"From_Account": "bob", "ProfileItem": "x"}) == {
        "ActionStatus": "FAIL", "ErrorInfo": "Err_Profile_Comm_Decode_Fail", "ErrorCode": 40001}


@pytest.mark.parametrize("body, expected", [
    ({"TagList": ["Tag_Profile_IM_Nick"]}, 40002),
    ({"To_Account": [], "TagList": ["Tag_Profile_IM_Nick"]}, 40002),
    ({"To_Account": ["bob"]}, 40001),
    ({"To_Account": ["bob"], "TagList": []}, 40001),
    ({"To_Account": [f"u{i}" for i in range(101)], "TagList": ["Tag_Profile_IM_Nick"]}, 40001),
    ({"To_Account": ["bob"], "TagList": ["Tag_Profile_IM_Nope"]}, 40009),
    ({"To_Account": [1], "TagList": ["Tag_Profile_IM_Nick"]}, 60015),
])
async def test_portrait_get_errors(tim, body, expected):
    assert code(await tim(GET, body)) == expected


async def test_portrait_get_fail_account(tim):
    body = await tim(GET, {"To_Account": ["bob", "ghost"], "TagList": ["Tag_Profile_IM_Nick"]})
    assert code(body) == 0 and body["Fail_Account"] == ["ghost"]
    assert body["UserProfileItem"][1] == {"To_Account": "ghost", "ProfileItem": [], "ResultCode": 40003,
                                          "ResultInfo": "Err_Profile_Invalid_Account"}


async def test_custom_tags_declared_in_the_scenario(client, tim, runtime):
    resp = await client.post("/_emulator/scenario?mode=merge", json={"tencent": {"apps": [{
        "sdkappid": 1400000001, "key": "k" * 64, "admins": ["administrator"], "accounts": [{"UserID": "bob"}],
        "profile_custom": ["Tag_Profile_Custom_Hobby"],
        "profiles": [{"UserID": "bob", "ProfileItem": [{"Tag": "Tag_Profile_Custom_Hobby", "Value": "go"}]}]}]}})
    assert resp.status == 200, await resp.text()
    kw = {"sdkappid": 1400000001, "key": "k" * 64}
    body = await tim(GET, {"To_Account": ["bob"], "TagList": ["Tag_Profile_Custom_Hobby"]}, **kw)
    assert body["UserProfileItem"][0]["ProfileItem"] == [{"Tag": "Tag_Profile_Custom_Hobby", "Value": "go"}]
    assert code(await tim(SET, {"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_Custom_Hobby", "Value": 1}]}, **kw)) == 40610
    assert code(await tim(SET, {"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_Custom_Hobby", "Value": "chess"}]}, **kw)) == 0
    # the default app does not declare it
    assert code(await tim(GET, {"To_Account": ["bob"], "TagList": ["Tag_Profile_Custom_Hobby"]})) == 40009


async def test_bad_scenario_profiles_refused(client):
    for app, path in [
        ({"profile_custom": ["Tag_Profile_Custom_TooLongName"]}, "profile_custom"),
        ({"profiles": [{"UserID": "ghost", "ProfileItem": []}]}, "profiles[0].UserID"),
        ({"profiles": [{"UserID": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Level", "Value": "x"}]}]},
         "profiles[0].ProfileItem[0]"),
    ]:
        spec = {"sdkappid": 1400000002, "key": "k", "admins": ["a"], "accounts": [{"UserID": "bob"}], **app}
        resp = await client.post("/_emulator/scenario?mode=merge", json={"tencent": {"apps": [spec]}})
        assert resp.status == 400
        assert path in await resp.text()


# --- query_online_status / querystate ---------------------------------------------------------------
async def test_query_online_status(client, tim):
    await online(client, "bob", "iphone")          # case-insensitive: the doocs spelling is kept
    await online(client, "bob", "Web")
    body = await tim(QUERY, {"To_Account": ["bob", "tommy", "ghost"], "IsNeedDetail": 1})
    assert body == {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
                    "QueryResult": [{"To_Account": "bob", "Status": "Online", "State": "Online",
                                     "Detail": [{"Platform": "iPhone", "Status": "Online"},
                                                {"Platform": "Web", "Status": "Online"}]},
                                    {"To_Account": "tommy", "Status": "Offline", "State": "Offline"}],
                    "ErrorList": [{"To_Account": "ghost", "ErrorCode": 70107}]}
    body = await tim("openim/querystate", {"To_Account": ["bob"]})
    assert body["QueryResult"] == [{"To_Account": "bob", "Status": "Online", "State": "Online"}]
    assert body["ErrorList"] == []
    await online(client, "bob", None, False)
    body = await tim(QUERY, {"To_Account": ["bob"], "IsNeedDetail": 1})
    assert body["QueryResult"] == [{"To_Account": "bob", "Status": "Offline", "State": "Offline"}]


async def test_presence_platform_must_be_tencents(client):
    resp = await client.post("/_emulator/presence", json={"provider": "tencent", "tenant": T, "user": "bob",
                                                         "platform": "Windows", "online": True})
    assert resp.status == 400


@pytest.mark.parametrize("body, expected", [
    ({}, 90001), ({"To_Account": []}, 90001), ({"To_Account": "bob"}, 90001),
    ({"To_Account": ["bob", 5]}, 90003),
    ({"To_Account": [f"u{i}" for i in range(501)]}, 90011),
    ({"To_Account": ["bob"], "IsNeedDetail": 2}, 90001),
])
async def test_query_online_status_errors(tim, body, expected):
    assert code(await tim(QUERY, body)) == expected


async def test_query_online_status_real_error_info(tim):
    assert await tim(QUERY, {}) == {"ActionStatus": "FAIL", "ErrorCode": 90001,
                                    "ErrorInfo": "Fail to Parse json data of body, Please check it"}
    assert (await tim(QUERY, {"To_Account": "x"}))["ErrorCode"] == 90001


# --- kick -------------------------------------------------------------------------------------------
async def test_kick_offline_and_usersigs_void(client, tim):
    await set_clock(client, freeze_at=NOW)
    await online(client, "bob", "Android")
    await online(client, "bob", "PC")
    old_sig = _sig_at("bob", NOW - 10)
    assert (await token_check(client, old_sig))["valid"] is True
    assert await tim("im_open_login_svc/kick", {"UserID": "bob"}) == {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}
    assert (await (await client.get("/_emulator/presence", params={"provider": "tencent", "tenant": T, "user": "bob"})).json())["online"] is False
    check = await token_check(client, old_sig)
    assert (check["valid"], check["reason"], check["user"]) == (False, "revoked: kicked", "bob")
    same_second = _sig_at("bob", NOW)
    assert (await token_check(client, same_second))["reason"] == "revoked: kicked"
    await set_clock(client, advance_s=1)
    assert (await token_check(client, _sig_at("bob", NOW + 1)))["valid"] is True


async def test_kick_legacy_identifier_and_errors(client, tim):
    assert code(await tim("im_open_login_svc/kick", {"Identifier": "tommy"})) == 0
    assert code(await tim("im_open_login_svc/kick", {"UserID": "ghost"})) == 70107
    assert code(await tim("im_open_login_svc/kick", {})) == 70402
    assert code(await tim("im_open_login_svc/kick", {"UserID": 3})) == 60015


async def test_kicked_admin_sig_refused_70001(client, tim):
    await set_clock(client, freeze_at=NOW)
    sig = _sig_at("administrator", NOW - 5)
    assert code(await tim("im_open_login_svc/kick", {"UserID": "administrator"}, sig=sig)) == 0
    body = await tim("im_open_login_svc/account_check", {"CheckItem": [{"UserID": "bob"}]}, sig=sig)
    assert (body["ErrorCode"], body["ErrorInfo"]) == (70001, "UserSig was voided by a kick of its account")
    await set_clock(client, advance_s=1)
    fresh = _sig_at("administrator", NOW + 1)
    assert code(await tim("im_open_login_svc/account_check", {"CheckItem": [{"UserID": "bob"}]}, sig=fresh)) == 0


async def test_token_check_reasons(client):
    assert (await token_check(client, "garbage"))["reason"].startswith("invalid: 70003")
    expired = tencent_sig("bob", expire=-10)
    assert (await token_check(client, expired))["reason"] == "expired"
    wrong = tencent_sig("bob", key="0" * 64)
    assert (await token_check(client, wrong))["reason"].startswith("invalid: 70009")
    other_app = tencent_sig("bob", sdkappid=1400000009)
    assert (await token_check(client, other_app))["reason"].startswith("invalid: 70014")
    ok = await token_check(client, tencent_sig("bob"))
    assert ok["valid"] and ok["user"] == "bob" and isinstance(ok["expires_at"], int)


def _sig_at(identifier: str, at: int, expire: int = 86400) -> str:
    from emulator.providers.tencent.auth import mint_usersig
    from tests.tencent_support import KEY
    return mint_usersig(SDKAPPID, KEY, identifier, expire, now=at)


# --- group members show presence -----------------------------------------------------------------------
async def test_member_online_status_column(client, tim):
    gid = (await tim("create_group", {"Type": "Public", "Name": "g", "Owner_Account": "leckie",
                                      "MemberList": [{"Member_Account": "bob"}]}))["GroupId"]
    await online(client, "bob", "Web")
    body = await tim("get_group_member_info", {"GroupId": gid, "MemberInfoFilter": ["Role", "OnlineStatus"]})
    assert [(m["Member_Account"], m["OnlineStatus"]) for m in body["MemberList"]] == [("leckie", "Offline"), ("bob", "Online")]
    body = await tim("get_specified_group_member_info", {"GroupId": gid, "Member_List_Account": ["bob"],
                                                         "MemberInfoFilter": ["OnlineStatus"]})
    assert body["MemberList"] == [{"Member_Account": "bob", "OnlineStatus": "Online"}]
    body = await tim("get_group_member_info", {"GroupId": gid})
    assert all("OnlineStatus" not in m for m in body["MemberList"])


# --- state ---------------------------------------------------------------------------------------------
async def test_state_dump_load_reset_check(client, tim, runtime):
    await set_clock(client, freeze_at=NOW)
    await tim(SET, {"From_Account": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Location", "Value": "SZ"}]})
    await tim("im_open_login_svc/kick", {"UserID": "tommy"})
    await online(client, "jared", "Mac")
    dump = await (await client.get("/_emulator/state", params={"provider": "tencent"})).json()
    app = dump["tencent"][T]
    assert app["profiles"] == [{"UserID": "bob", "ProfileItem": [{"Tag": "Tag_Profile_IM_Location", "Value": "SZ"}]}]
    assert app["kicked"] == [{"UserID": "tommy", "KickTime": NOW}]
    assert app["presence"]["online"] == {"jared": {"Mac": NOW * 1000}}
    assert (await client.post("/_emulator/reset")).status == 200
    assert runtime.providers["tencent"].backend.tenants[T].profiles == {}
    assert (await client.put("/_emulator/state", json=dump)).status == 200
    again = await (await client.get("/_emulator/state", params={"provider": "tencent"})).json()
    assert again == dump
    check = await client.get("/_emulator/state/check")
    assert check.status == 200, await check.text()
    # a broken invariant is reported
    tenant = runtime.providers["tencent"].backend.tenants[T]
    tenant.profiles["ghost"] = {"Tag_Profile_IM_Level": "x"}
    body = await (await client.get("/_emulator/state/check")).json()
    assert any("ghost" in p for p in body["problems"]["tencent"])


async def test_account_delete_drops_profile_and_presence(client, tim, runtime):
    await tim(SET, {"From_Account": "jared", "ProfileItem": [{"Tag": "Tag_Profile_IM_Role", "Value": 3}]})
    await online(client, "jared", "iPad")
    assert code(await tim("im_open_login_svc/account_delete", {"DeleteItem": [{"UserID": "jared"}]})) == 0
    app = runtime.providers["tencent"].backend.tenants[T]
    assert "jared" not in app.profiles and not app.presence.is_online("jared")
    assert (await client.get("/_emulator/state/check")).status == 200


@pytest.mark.parametrize("command, api, expected", [
    ("profile/portrait_set", "portrait_set", 40006), ("profile/portrait_get", "portrait_get", 40006),
    (QUERY, "query_online_status", 90994), ("im_open_login_svc/kick", "kick", 70500),
])
async def test_internal_error_code_per_service(client, tim, command, api, expected):
    """An injected fault with no code answers the service's own internal-error code."""
    resp = await client.post("/_emulator/faults", json={"provider": "tencent", "api": command, "http_status": 200})
    assert resp.status == 201, await resp.text()
    assert code(await tim(command, {"UserID": "bob", "To_Account": ["bob"]})) == expected


async def test_replaying_the_same_requests_gives_the_same_state(aiohttp_client):
    """Profiles, kick watermarks and presence come only from the requests and the emulator clock."""
    from emulator.app import create_app
    from emulator.settings import Settings
    from tests.tencent_support import tencent_call

    async def run() -> dict:
        client = await aiohttp_client(create_app(Settings(port=0)))
        await set_clock(client, freeze_at=NOW)
        await online(client, "bob", "Web")
        for command, body in [
            ("im_open_login_svc/account_import", {"UserID": "zed", "Nick": "Z"}),
            (SET, {"From_Account": "zed", "ProfileItem": [{"Tag": "Tag_Profile_IM_Level", "Value": 7}]}),
            ("im_open_login_svc/kick", {"UserID": "bob"}),
            (QUERY, {"To_Account": ["bob", "zed"]}),
        ]:
            assert (await tencent_call(client, command, body))["ErrorCode"] == 0
        return await (await client.get("/_emulator/state", params={"provider": "tencent"})).json()
    assert await run() == await run()
