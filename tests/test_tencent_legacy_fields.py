"""Issue 10, Tencent: older field names and paths that real clients send, and one clear answer
for real commands that are not emulated. Every call is signed with tls-sig-api-v2."""

from __future__ import annotations

import time

import pytest

from emulator.providers.tencent import catalog, urls
from emulator.providers.tencent.legacy import LEGACY_FIELDS
from tests.tencent_support import set_clock, tencent_call

NOW = int(time.time()) + 10


@pytest.fixture
async def frozen(client):
    await set_clock(client, freeze_at=NOW)
    return NOW


async def group(tim, **body) -> str:
    body.setdefault("Type", "Public")
    body.setdefault("Name", "g")
    res = await tim("create_group", body)
    assert res["ErrorCode"] == 0, res
    return res["GroupId"]


async def muted(tim, gid) -> dict:
    res = await tim("get_group_muted_account", {"GroupId": gid})
    assert res["ErrorCode"] == 0, res
    return {m["Member_Account"]: m["MutedUntil"] for m in res["MutedAccountList"]}


def ok(body):
    assert body["ActionStatus"] == "OK" and body["ErrorCode"] == 0, body
    return body


# --- ShutUpTime (tencentcloud-im-sdk-java ForbidSendMsgRequest / ModifyGroupMemberInfoRequest) ----

async def test_forbid_send_msg_shutuptime_mutes_and_zero_unmutes(tim, frozen):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"},
                                                              {"Member_Account": "tommy"}])
    ok(await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob", "tommy"],
                                     "ShutUpTime": 600}))
    assert await muted(tim, gid) == {"bob": frozen + 600, "tommy": frozen + 600}
    ok(await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"], "ShutUpTime": 0}))
    assert await muted(tim, gid) == {"tommy": frozen + 600}


async def test_forbid_send_msg_both_names_mutetime_wins(tim, frozen):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    ok(await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"],
                                     "ShutUpTime": 600, "MuteTime": 60}))
    assert await muted(tim, gid) == {"bob": frozen + 60}
    ok(await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"],
                                     "MuteTime": 0, "ShutUpTime": 600}))
    assert await muted(tim, gid) == {}


async def test_forbid_send_msg_shutuptime_is_validated_like_mutetime(tim):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    bad = await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"], "ShutUpTime": -1})
    assert bad["ErrorCode"] == 10004 and "MuteTime" in bad["ErrorInfo"], bad
    missing = await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"]})
    assert missing["ErrorCode"] == 10004, missing
    assert await muted(tim, gid) == {}


async def test_modify_group_member_info_shutuptime_really_mutes(tim, frozen):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    ok(await tim("modify_group_member_info", {"GroupId": gid, "Member_Account": "bob",
                                              "ShutUpTime": 600}))
    assert await muted(tim, gid) == {"bob": frozen + 600}
    listed = ok(await tim("get_group_member_info", {"GroupId": gid}))
    bob = next(m for m in listed["MemberList"] if m["Member_Account"] == "bob")
    assert bob["MuteUntil"] == frozen + 600
    # an older client asks for the older response name and gets it
    old = ok(await tim("get_group_member_info", {"GroupId": gid, "MemberInfoFilter": ["ShutUpUntil"]}))
    bob = next(m for m in old["MemberList"] if m["Member_Account"] == "bob")
    assert bob == {"Member_Account": "bob", "ShutUpUntil": frozen + 600}
    joined = ok(await tim("get_joined_group_list", {"Member_Account": "bob", "ResponseFilter":
                                                   {"SelfInfoFilter": ["ShutUpUntil", "Role"]}}))
    assert joined["GroupIdList"] == [{"GroupId": gid, "SelfInfo": {"ShutUpUntil": frozen + 600,
                                                                   "Role": "Member"}}]
    ok(await tim("modify_group_member_info", {"GroupId": gid, "Member_Account": "bob", "ShutUpTime": 0}))
    assert await muted(tim, gid) == {}


async def test_modify_group_member_info_both_names_mutetime_wins(tim, frozen):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    ok(await tim("modify_group_member_info", {"GroupId": gid, "Member_Account": "bob",
                                              "MuteTime": 30, "ShutUpTime": 600}))
    assert await muted(tim, gid) == {"bob": frozen + 30}


async def test_modify_group_base_info_shutupallmember(tim):
    gid = await group(tim, Owner_Account="leckie")
    ok(await tim("modify_group_base_info", {"GroupId": gid, "ShutUpAllMember": "On"}))
    info = ok(await tim("get_group_info", {"GroupIdList": [gid]}))["GroupInfo"][0]
    assert info["MuteAllMember"] == "On"
    flt = {"GroupBaseInfoFilter": ["ShutUpAllMember"]}
    info = ok(await tim("get_group_info", {"GroupIdList": [gid], "ResponseFilter": flt}))["GroupInfo"][0]
    assert info["ShutUpAllMember"] == "On" and "MuteAllMember" not in info
    bad = await tim("modify_group_base_info", {"GroupId": gid, "ShutUpAllMember": "Maybe"})
    assert bad["ErrorCode"] == 10004, bad


# --- accounts ---------------------------------------------------------------------------------

async def check(tim, *users) -> dict:
    res = ok(await tim("im_open_login_svc/account_check", {"CheckItem": [{"UserID": u} for u in users]}))
    return {i["UserID"]: i["AccountStatus"] for i in res["ResultItem"]}


async def test_account_import_identifier(tim, runtime):
    ok(await tim("im_open_login_svc/account_import", {"Identifier": "old_client_user", "Nick": "Old",
                                                      "FaceUrl": "http://x/y.png"}))
    assert await check(tim, "old_client_user") == {"old_client_user": "Imported"}
    app = runtime.providers["tencent"].backend.tenants["1400000000"]
    assert app.accounts["old_client_user"] == {"Nick": "Old", "FaceUrl": "http://x/y.png"}
    # both names: UserID wins
    ok(await tim("im_open_login_svc/account_import", {"Identifier": "loser", "UserID": "winner"}))
    assert await check(tim, "loser", "winner") == {"loser": "NotImported", "winner": "Imported"}
    # the older name gets the same rules (<= 32 bytes -> 70402)
    res = await tim("im_open_login_svc/account_import", {"Identifier": "x" * 33})
    assert res["ErrorCode"] == 70402, res


async def test_multiaccount_import_accountlist_form(tim, runtime):
    res = ok(await tim("im_open_login_svc/multiaccount_import",
                       {"AccountList": [{"UserID": "n1", "Nick": "N1"}, {"UserID": "n2"}]}))
    assert res["FailAccounts"] == []
    assert await check(tim, "n1", "n2") == {"n1": "Imported", "n2": "Imported"}
    app = runtime.providers["tencent"].backend.tenants["1400000000"]
    assert app.accounts["n1"]["Nick"] == "N1"
    assert (await tim("im_open_login_svc/multiaccount_import", {}))["ErrorCode"] == 70402
    assert (await tim("im_open_login_svc/multiaccount_import", {"AccountList": []}))["ErrorCode"] == 70402
    over = {"AccountList": [{"UserID": f"u{i}"} for i in range(101)]}
    assert (await tim("im_open_login_svc/multiaccount_import", over))["ErrorCode"] == 70206
    bad = await tim("im_open_login_svc/multiaccount_import", {"AccountList": [{"Nick": "no id"}]})
    assert bad["ErrorCode"] == 70402, bad


# --- paths and filters ------------------------------------------------------------------------

async def test_get_group_attr_on_group_open_http_svc(tim):
    gid = await group(tim, Owner_Account="leckie")
    ok(await tim("set_group_attr", {"GroupId": gid, "GroupAttr": [{"key": "k", "value": "v"}]}))
    java_sdk = ok(await tim("group_open_http_svc/get_group_attr", {"GroupId": gid}))
    documented = ok(await tim("group_open_attr_http_svc/get_group_attr", {"GroupId": gid}))
    assert java_sdk == documented and java_sdk["GroupAttrAry"] == [{"key": "k", "value": "v"}]


async def test_get_appid_group_list_empty_grouptype_lists_every_type(tim):
    ids = {await group(tim, Type=t, Owner_Account="leckie") for t in ("Public", "Private", "ChatRoom")}
    everything = ok(await tim("get_appid_group_list", {}))
    empty = ok(await tim("get_appid_group_list", {"GroupType": ""}))
    assert empty == everything and ids <= {g["GroupId"] for g in empty["GroupIdList"]}
    public = ok(await tim("get_appid_group_list", {"GroupType": "Public"}))
    assert public["TotalCount"] < empty["TotalCount"]
    joined = ok(await tim("get_joined_group_list", {"Member_Account": "leckie", "GroupType": ""}))
    assert ids <= {g["GroupId"] for g in joined["GroupIdList"]}


def test_legacy_table_names_routed_commands():
    """Every entry of legacy.py applies to a command that has a route."""
    routed = {r.path.split("/")[3] for r in urls.API_ROUTES}
    assert set(LEGACY_FIELDS) <= routed


# --- real commands that are not emulated vs typos (catalog.py) ----------------------------------

def test_every_route_is_a_known_real_command():
    for r in urls.API_ROUTES:
        service = r.path.split("/")[2]
        assert r.path.split("/")[3] in catalog.REAL_COMMANDS.get(service, ()), r.path


NOT_ROUTED = sorted((svc, cmd) for svc, cmds in catalog.REAL_COMMANDS.items() for cmd in cmds
                    if (svc, cmd) not in urls.TABLE)


async def test_every_real_command_without_a_route_says_so(tim):
    assert len(NOT_ROUTED) > 90      # 96 once the message commands got routes
    for svc, cmd in NOT_ROUTED:
        body = await tim(f"{svc}/{cmd}", {})
        assert body == {"ActionStatus": "FAIL", "ErrorCode": 60017, "ErrorInfo":
                        f"v4/{svc}/{cmd} is a real Tencent REST API that im-emulator does not emulate"}


@pytest.mark.parametrize("path", ["group_open_avchatroom_http_svc/get_members", "sns/friend_add",
                                  "million_group_open_http_svc/create_topic",
                                  "openim_msg_ext_http_svc/get_key_values"])
async def test_not_emulated_needs_auth_first(client, path):
    body = await tencent_call(client, path, {}, sig="")
    assert body["ErrorCode"] == 70002, body
    body = await tencent_call(client, path, {})
    assert body["ErrorCode"] == 60017, body


@pytest.mark.parametrize("path, code", [
    ("group_open_avchatroom_http_svc/get_memberz", 10003),
    ("million_group_open_http_svc/create_topics", 10003),
    ("group_open_http_svc/send_group_msgs", 10003),
    ("openim/sendmsgg", 60009),
    ("sns/friend_addd", 60009),
    ("im_open_login_svc/kicks", 60009),
])
async def test_typo_of_a_real_service_is_not_not_emulated(tim, path, code):
    body = await tim(path, {})
    assert body["ErrorCode"] == code and "invalid command" in body["ErrorInfo"], body


async def test_unknown_service_is_60009_before_auth(client):
    body = await tencent_call(client, "open_im/sendmsg", {}, sig="")
    assert body["ErrorCode"] == 60009 and "unknown service" in body["ErrorInfo"], body
