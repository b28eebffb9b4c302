"""Members: add / import / delete / modify / query, unread counts, mutes, AVChatRoom bans."""

from __future__ import annotations

from tests.tencent_support import ADMIN, KEY, SDKAPPID, set_clock


async def group(tim, **body) -> str:
    body.setdefault("Type", "Public")
    body.setdefault("Name", "g")
    res = await tim("create_group", body)
    assert res["ErrorCode"] == 0, res
    return res["GroupId"]


async def members(tim, gid):
    res = await tim("get_group_member_info", {"GroupId": gid})
    return {m["Member_Account"]: m for m in res["MemberList"]}


async def import_users(tim, names):
    for i in range(0, len(names), 100):
        res = await tim("im_open_login_svc/multiaccount_import", {"Accounts": names[i:i + 100]})
        assert res["ErrorCode"] == 0


async def test_add_group_member_results(tim, runtime):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    res = await tim("add_group_member", {"GroupId": gid, "Silence": 1,
                                         "MemberList": [{"Member_Account": "tommy"}, {"Member_Account": "bob"}]})
    assert res["MemberList"] == [{"Member_Account": "tommy", "Result": 1},
                                 {"Member_Account": "bob", "Result": 2}]
    info = (await tim("get_group_info", {"GroupIdList": [gid]}))["GroupInfo"][0]
    assert info["MemberNum"] == 3
    assert runtime.check_invariants()["tencent"] == []


async def test_add_group_member_errors(tim):
    gid = await group(tim, Owner_Account="leckie", MaxMemberCount=3)
    assert (await tim("add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "ghost"},
                                                                          {"Member_Account": "bob"}]}))["ErrorCode"] == 10019
    assert "bob" not in await members(tim, gid)
    full = await tim("add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": u} for u in
                                                                         ("bob", "tommy", "jared")]})
    assert full["ErrorCode"] == 10014 and len(await members(tim, gid)) == 1
    av = await group(tim, Type="AVChatRoom")
    assert (await tim("add_group_member", {"GroupId": av, "MemberList": [{"Member_Account": "bob"}]}))["ErrorCode"] == 10007
    assert (await tim("add_group_member", {"GroupId": "nope", "MemberList": [{"Member_Account": "bob"}]}))["ErrorCode"] == 10010


async def test_add_group_member_limit_300_10005(tim):
    names = [f"u{i}" for i in range(301)]
    await import_users(tim, names)
    gid = await group(tim)
    res = await tim("add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": n} for n in names]})
    assert res["ErrorCode"] == 10005
    res = await tim("add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": n} for n in names[:300]]})
    assert res["ErrorCode"] == 0 and all(m["Result"] == 1 for m in res["MemberList"])


async def test_import_group_member_join_time_window(client, tim):
    await set_clock(client, freeze_at=1_700_000_000)
    await tim("import_group", {"Type": "Public", "Name": "old", "GroupId": "old", "CreateTime": 1_600_000_000})
    res = await tim("import_group_member", {"GroupId": "old", "MemberList": [
        {"Member_Account": "tommy", "Role": "Admin", "JoinTime": 1_650_000_000, "UnreadMsgNum": 5},
        {"Member_Account": "jared", "JoinTime": 1_500_000_000},          # before CreateTime
        {"Member_Account": "bob", "JoinTime": 1_800_000_000},            # in the future
        {"Member_Account": "tommy"}]})
    assert res["MemberList"] == [{"Member_Account": "tommy", "Result": 1}, {"Member_Account": "jared", "Result": 0},
                                 {"Member_Account": "bob", "Result": 0}, {"Member_Account": "tommy", "Result": 2}]
    m = await members(tim, "old")
    assert m["tommy"]["Role"] == "Admin" and m["tommy"]["JoinTime"] == 1_650_000_000
    assert set(m) == {"tommy"}


async def test_import_group_member_errors(tim):
    gid = await group(tim)
    bad_role = {"GroupId": gid, "MemberList": [{"Member_Account": "bob", "Role": "Owner"}]}
    assert (await tim("import_group_member", bad_role))["ErrorCode"] == 10004
    av = await group(tim, Type="AVChatRoom")
    assert (await tim("import_group_member", {"GroupId": av, "MemberList": [{"Member_Account": "bob"}]}))["ErrorCode"] == 10007
    assert (await tim("import_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "ghost"}]}))["ErrorCode"] == 10019
    many = {"GroupId": gid, "MemberList": [{"Member_Account": "bob"}] * 301}
    assert (await tim("import_group_member", many))["ErrorCode"] == 10005


async def test_delete_group_member_and_owner_rules(tim):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}, {"Member_Account": "tommy"}])
    assert (await tim("delete_group_member", {"GroupId": gid, "MemberToDel_Account": ["bob", "leckie"]}))["ErrorCode"] == 10004
    assert set(await members(tim, gid)) == {"leckie", "bob", "tommy"}
    res = await tim("delete_group_member", {"GroupId": gid, "MemberToDel_Account": ["bob", "jared"], "Reason": "r"})
    assert res["ErrorCode"] == 0 and set(await members(tim, gid)) == {"leckie", "tommy"}
    own = await group(tim, Owner_Account=ADMIN, MemberList=[{"Member_Account": "bob"}])
    assert (await tim("delete_group_member", {"GroupId": own, "MemberToDel_Account": [ADMIN]}))["ErrorCode"] == 10009


async def test_modify_group_member_info(client, tim):
    await set_clock(client, freeze_at=1_700_000_000)
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    res = await tim("modify_group_member_info", {"GroupId": gid, "Member_Account": "bob", "Role": "Admin",
                                                 "NameCard": "Bobby", "MsgFlag": "Discard", "MuteTime": 60,
                                                 "AppMemberDefinedData": [{"Key": "lvl", "Value": "3"}]})
    assert res["ErrorCode"] == 0, res
    bob = (await members(tim, gid))["bob"]
    assert (bob["Role"], bob["NameCard"], bob["MsgFlag"], bob["MuteUntil"]) == ("Admin", "Bobby", "Discard", 1_700_000_060)
    assert bob["AppMemberDefinedData"] == [{"Key": "lvl", "Value": "3"}]
    for body, code in (({"Member_Account": "leckie", "Role": "Member"}, 10004),
                       ({"Member_Account": "bob", "NameCard": "n" * 51}, 10004),
                       ({"Member_Account": "bob", "Role": "Boss"}, 10004),
                       ({"Member_Account": "tommy", "NameCard": "t"}, 10004),
                       ({"Member_Account": "ghost", "NameCard": "t"}, 10019)):
        assert (await tim("modify_group_member_info", {"GroupId": gid, **body}))["ErrorCode"] == code, body


async def test_get_group_member_info_paging_and_filters(tim):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob", "Role": "Admin"},
                                                               {"Member_Account": "tommy"}, {"Member_Account": "jared"}])
    res = await tim("get_group_member_info", {"GroupId": gid, "Limit": 2, "Offset": 1, "MemberInfoFilter": ["Role"]})
    assert res["MemberNum"] == 4
    assert res["MemberList"] == [{"Member_Account": "bob", "Role": "Admin"}, {"Member_Account": "tommy", "Role": "Member"}]
    res = await tim("get_group_member_info", {"GroupId": gid, "MemberRoleFilter": ["Owner", "Admin"],
                                              "MemberInfoFilter": ["JoinTime"]})
    assert [m["Member_Account"] for m in res["MemberList"]] == ["leckie", "bob"]
    assert set(res["MemberList"][0]) == {"Member_Account", "JoinTime"}
    assert (await tim("get_group_member_info", {"GroupId": gid, "Limit": 6001}))["ErrorCode"] == 10004
    assert (await tim("get_group_member_info", {"GroupId": gid, "MemberRoleFilter": ["Boss"]}))["ErrorCode"] == 10004


async def test_community_member_paging_with_next(tim):
    gid = await group(tim, Type="Community", Owner_Account="leckie",
                      MemberList=[{"Member_Account": u} for u in ("bob", "tommy", "jared")])
    seen, nxt = [], ""
    while True:
        res = await tim("get_group_member_info", {"GroupId": gid, "Limit": 3, "Next": nxt})
        seen += [m["Member_Account"] for m in res["MemberList"]]
        nxt = res["Next"]
        if not nxt:
            break
    assert seen == ["leckie", "bob", "tommy", "jared"]


async def test_get_specified_group_member_info(tim):
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    res = await tim("get_specified_group_member_info", {"GroupId": gid, "Member_List_Account": ["bob", "tommy"],
                                                        "MemberInfoFilter": ["Role"]})
    assert res["MemberList"] == [{"Member_Account": "bob", "Role": "Member"}]


async def test_set_unread_msg_num_is_clamped(tim):
    gid = await group(tim, Owner_Account="leckie")
    assert (await tim("set_unread_msg_num", {"GroupId": gid, "Member_Account": "leckie", "UnreadMsgNum": 9}))["ErrorCode"] == 0
    res = await tim("get_joined_group_list", {"Member_Account": "leckie", "ResponseFilter": {"SelfInfoFilter": ["UnreadMsgNum"]}})
    assert res["GroupIdList"][0]["SelfInfo"] == {"UnreadMsgNum": 0}   # the group has no messages
    assert (await tim("set_unread_msg_num", {"GroupId": gid, "Member_Account": "bob", "UnreadMsgNum": 1}))["ErrorCode"] == 10004


async def test_forbid_send_msg_and_muted_list(client, tim):
    await set_clock(client, freeze_at=1_700_000_000)
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}, {"Member_Account": "tommy"}])
    assert (await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"], "MuteTime": 100}))["ErrorCode"] == 0
    assert (await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["tommy"], "MuteTime": 4294967295}))["ErrorCode"] == 0
    res = await tim("get_group_muted_account", {"GroupId": gid})
    assert res["GroupId"] == gid and res["MutedAccountList"] == [
        {"Member_Account": "bob", "MutedUntil": 1_700_000_100}, {"Member_Account": "tommy", "MutedUntil": 4294967295}]
    old = await tim("get_group_shutted_uin", {"GroupId": gid})
    assert old["ShuttedUinList"][0] == {"Member_Account": "bob", "ShuttedUntil": 1_700_000_100}
    await set_clock(client, advance_s=101)
    assert [m["Member_Account"] for m in (await tim("get_group_muted_account", {"GroupId": gid}))["MutedAccountList"]] == ["tommy"]
    await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["tommy"], "MuteTime": 0})
    assert (await tim("get_group_muted_account", {"GroupId": gid}))["MutedAccountList"] == []
    assert (await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["jared"], "MuteTime": 5}))["ErrorCode"] == 10004


async def test_forbid_send_msg_refusals(tim):
    private = await group(tim, Type="Private", Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    assert (await tim("forbid_send_msg", {"GroupId": private, "Members_Account": ["bob"], "MuteTime": 5}))["ErrorCode"] == 10007
    pub = await group(tim)
    many = {"GroupId": pub, "Members_Account": ["bob"] * 501, "MuteTime": 5}
    assert (await tim("forbid_send_msg", many))["ErrorCode"] == 10005
    assert (await tim("forbid_send_msg", {"GroupId": pub, "Members_Account": [7], "MuteTime": 5}))["ErrorCode"] == 60015


async def test_ban_unban_get_ban_member(client, tim):
    await set_clock(client, freeze_at=1_700_000_000)
    av = await group(tim, Type="AVChatRoom")
    assert (await tim("ban_group_member", {"GroupId": av, "Members_Account": ["bob", "tommy"], "Duration": 60}))["ErrorCode"] == 0
    res = await tim("get_group_ban_member", {"GroupId": av, "Offset": 0, "Limit": 1})
    assert res["BannedAccountList"] == [{"Member_Account": "bob", "BannedUntil": 1_700_000_060}] and res["NextOffset"] == 1
    await tim("unban_group_member", {"GroupId": av, "Members_Account": ["bob"]})
    res = await tim("get_group_ban_member", {"GroupId": av})
    assert [b["Member_Account"] for b in res["BannedAccountList"]] == ["tommy"] and res["NextOffset"] == 0
    pub = await group(tim)
    assert (await tim("ban_group_member", {"GroupId": pub, "Members_Account": ["bob"], "Duration": 60}))["ErrorCode"] == 10007
    many = {"GroupId": av, "Members_Account": ["bob"] * 11, "Duration": 60}
    assert (await tim("ban_group_member", many))["ErrorCode"] == 10005


async def test_import_group_member_limit_is_tenant_setting(client, tim):
    scenario = {"tencent": {"apps": [{"sdkappid": SDKAPPID, "key": KEY, "admins": [ADMIN],
                                      "accounts": [{"UserID": "bob"}, {"UserID": "tommy"}],
                                      "limits": {"import_group_member": 1, "add_group_member": 1}}]}}
    assert (await client.post("/_emulator/scenario", json=scenario)).status == 200
    gid = await group(tim)
    two = [{"Member_Account": "bob"}, {"Member_Account": "tommy"}]
    assert (await tim("import_group_member", {"GroupId": gid, "MemberList": two}))["ErrorCode"] == 10005
    assert (await tim("add_group_member", {"GroupId": gid, "MemberList": two}))["ErrorCode"] == 10005


def test_member_info_fast_path_matches_the_filtered_path():
    """No MemberInfoFilter takes a direct path; it must equal asking for every field."""
    from emulator.providers.tencent.handlers_common import MEMBER_FIELDS, member_info
    from emulator.providers.tencent.models import Group, Member
    g = Group(GroupId="g", Type="Public", Name="g", Owner_Account="o", CreateTime=1, MaxMemberNum=10)
    m = Member(Role="Admin", JoinTime=5, NameCard="nc", MsgSeq=3, AppMemberDefinedData={"k": "v"})
    for muted in ({}, {"a": 100}, {"a": 10}):
        g.muted = muted
        full = member_info(g, "a", m, 50, set(MEMBER_FIELDS))
        fast = member_info(g, "a", m, 50)
        assert fast == full and list(fast) == list(full)
        assert member_info(g, "a", m, 50, None, ["x"]) == {k: v for k, v in full.items()
                                                          if k != "AppMemberDefinedData"}
