"""Group lifecycle: create / import / list / info / modify / destroy / owner / joined / roles."""

from __future__ import annotations

import pytest

from tests.tencent_support import ADMIN, KEY, SDKAPPID, set_clock


async def create(tim, **body):
    body.setdefault("Type", "Public")
    body.setdefault("Name", "g")
    return await tim("create_group", body)


async def ok_group(tim, **body) -> str:
    res = await create(tim, **body)
    assert res["ErrorCode"] == 0, res
    return res["GroupId"]


async def info(tim, gid, **extra):
    res = await tim("get_group_info", {"GroupIdList": [gid], **extra})
    assert res["ErrorCode"] == 0, res
    return res["GroupInfo"][0]


@pytest.mark.parametrize("gtype,prefix", [("Private", "@TGS#1"), ("Public", "@TGS#2"), ("ChatRoom", "@TGS#3"),
                                          ("AVChatRoom", "@TGS#a"), ("Community", "@TGS#_"),
                                          ("Work", "@TGS#1"), ("Meeting", "@TGS#3")])
async def test_generated_ids_by_type(tim, gtype, prefix):
    gid = await ok_group(tim, Type=gtype)
    assert gid.startswith(prefix)
    g = await info(tim, gid)
    assert g["Type"] == {"Work": "Private", "Meeting": "ChatRoom"}.get(gtype, gtype)


async def test_create_full_profile_and_counters(client, tim):
    await set_clock(client, freeze_at=1_700_000_000)
    gid = await ok_group(tim, Owner_Account="leckie", GroupId="MyFirstGroup", Name="TestGroup",
                         Introduction="intro", Notification="note", FaceUrl="http://f",
                         MaxMemberCount=500, ApplyJoinOption="FreeAccess",
                         AppDefinedData=[{"Key": "k1", "Value": "v1"}],
                         MemberList=[{"Member_Account": "bob", "Role": "Admin"},
                                     {"Member_Account": "tommy", "NameCard": "T"}])
    assert gid == "MyFirstGroup"
    g = await info(tim, gid)
    assert g["CreateTime"] == 1_700_000_000 and g["MemberNum"] == 3 and g["MaxMemberNum"] == 500
    assert g["InfoSeq"] == 1 and g["LastInfoTime"] == 1_700_000_000 and g["Owner_Account"] == "leckie"
    assert g["AppDefinedData"] == [{"Key": "k1", "Value": "v1"}]
    roles = {m["Member_Account"]: m["Role"] for m in g["MemberList"]}
    assert roles == {"leckie": "Owner", "bob": "Admin", "tommy": "Member"}


async def test_default_max_members_by_type(tim):
    for gtype, n in (("Private", 200), ("Public", 2000), ("ChatRoom", 6000), ("Community", 100000)):
        assert (await info(tim, await ok_group(tim, Type=gtype)))["MaxMemberNum"] == n


async def test_owner_not_imported_10004(tim):
    res = await create(tim, Owner_Account="ghost")
    assert res == {"ActionStatus": "FAIL", "ErrorCode": 10004, "ErrorInfo": "invalid owner id"}


async def test_member_not_imported_10019(tim):
    assert (await create(tim, MemberList=[{"Member_Account": "ghost"}]))["ErrorCode"] == 10019
    assert (await tim("get_appid_group_list", {}))["TotalCount"] == 0


async def test_avchatroom_refuses_memberlist_10007(tim):
    res = await create(tim, Type="AVChatRoom", MemberList=[{"Member_Account": "bob"}])
    assert res["ErrorCode"] == 10007


@pytest.mark.parametrize("field,limit", [("Name", 30), ("Introduction", 240), ("Notification", 300),
                                         ("FaceUrl", 100)])
async def test_byte_limits_10004(tim, field, limit):
    cjk = "群" * (limit // 3 + 1)            # 3 bytes each in UTF-8
    assert len(cjk) <= limit
    res = await create(tim, **{field: cjk})
    assert res["ErrorCode"] == 10004 and field in res["ErrorInfo"]
    assert (await create(tim, **{field: "群" * (limit // 3)}))["ErrorCode"] == 0


async def test_namecard_byte_limit_10004(tim):
    res = await create(tim, MemberList=[{"Member_Account": "bob", "NameCard": "x" * 51}])
    assert res["ErrorCode"] == 10004 and "NameCard" in res["ErrorInfo"]


@pytest.mark.parametrize("body", [{"Type": "Secret"}, {"ApplyJoinOption": "Maybe"},
                                  {"InviteJoinOption": "Never"},
                                  {"MemberList": [{"Member_Account": "bob", "Role": "Owner"}]},
                                  {"MemberList": [{"Member_Account": "bob", "MsgFlag": "Loud"}]},
                                  {"MaxMemberCount": "10"}])
async def test_enumerations_and_types_10004(tim, body):
    assert (await create(tim, **body))["ErrorCode"] == 10004


async def test_name_required_10004(tim):
    assert (await tim("create_group", {"Type": "Public"}))["ErrorCode"] == 10004


@pytest.mark.parametrize("gid,gtype", [("@TGS#custom", "Public"), ("a" * 49, "Public"), ("bad\u00e9id", "Public"),
                                       ("bad\nid", "Public"), ("plain", "Community")])
async def test_bad_custom_group_id_10015(tim, gid, gtype):
    assert (await create(tim, GroupId=gid, Type=gtype))["ErrorCode"] == 10015


async def test_custom_ids_accepted(tim):
    assert await ok_group(tim, GroupId="a" * 48) == "a" * 48
    assert await ok_group(tim, GroupId="@TGS#_mine", Type="Community") == "@TGS#_mine"


async def test_group_id_taken_10021_or_10025(client, tim):
    await ok_group(tim, GroupId="taken", Owner_Account="leckie")
    assert (await create(tim, GroupId="taken"))["ErrorCode"] == 10021
    await ok_group(tim, GroupId="mine", Owner_Account=ADMIN)
    assert (await create(tim, GroupId="mine"))["ErrorCode"] == 10025


async def test_topic_fields_only_for_community_10004(tim):
    assert (await create(tim, SupportTopic=1))["ErrorCode"] == 10004
    assert (await create(tim, EnablePermission=1))["ErrorCode"] == 10004
    assert (await create(tim, Type="Community", EnablePermission=1))["ErrorCode"] == 10004
    gid = await ok_group(tim, Type="Community", SupportTopic=1, EnablePermission=1, DefaultPermission=3)
    g = await info(tim, gid)
    assert (g["SupportTopic"], g["EnablePermission"], g["DefaultPermission"]) == (1, 1, 3)


async def test_max_member_count_caps_10004(tim):
    assert (await create(tim, MaxMemberCount=6001))["ErrorCode"] == 10004
    assert (await create(tim, Type="Community", MaxMemberCount=100001))["ErrorCode"] == 10004
    assert (await create(tim, Type="Community", MaxMemberCount=100000))["ErrorCode"] == 0


async def test_create_full_group_10014(tim):
    res = await create(tim, Owner_Account="leckie", MaxMemberCount=2,
                       MemberList=[{"Member_Account": "bob"}, {"Member_Account": "tommy"}])
    assert res["ErrorCode"] == 10014


async def test_create_memberlist_limit_10005(client, tim):
    names = [f"u{i}" for i in range(101)]
    await tim("im_open_login_svc/multiaccount_import", {"Accounts": names[:100]})
    await tim("im_open_login_svc/account_import", {"UserID": names[100]})
    res = await create(tim, MemberList=[{"Member_Account": n} for n in names])
    assert res["ErrorCode"] == 10005
    assert (await create(tim, MemberList=[{"Member_Account": n} for n in names[:100]]))["ErrorCode"] == 0


async def test_limits_are_tenant_settings(client, tim):
    scenario = {"tencent": {"apps": [{"sdkappid": SDKAPPID, "key": KEY, "admins": [ADMIN],
                                      "accounts": [{"UserID": "bob"}, {"UserID": "tommy"}],
                                      "limits": {"create_group_members": 1}}]}}
    assert (await client.post("/_emulator/scenario", json=scenario)).status == 200
    res = await create(tim, MemberList=[{"Member_Account": "bob"}, {"Member_Account": "tommy"}])
    assert res["ErrorCode"] == 10005


async def test_get_appid_group_list_paging_and_filter(tim):
    ids = [await ok_group(tim, Type="Public" if i % 2 else "Private") for i in range(7)]
    seen, nxt = [], 0
    while True:
        res = await tim("get_appid_group_list", {"Limit": 3, "Next": nxt})
        assert res["TotalCount"] == 7
        seen += [g["GroupId"] for g in res["GroupIdList"]]
        nxt = res["Next"]
        if not nxt:
            break
    assert seen == ids
    res = await tim("get_appid_group_list", {"GroupType": "Public"})
    assert res["TotalCount"] == 3 and [g["GroupId"] for g in res["GroupIdList"]] == ids[1::2]
    assert res["Next"] == 0
    assert (await tim("get_appid_group_list", {"Limit": 10001}))["ErrorCode"] == 10004
    await tim("destroy_group", {"GroupId": ids[0]})
    res = await tim("get_appid_group_list", {"Limit": 2})
    assert [g["GroupId"] for g in res["GroupIdList"]] == ids[1:3] and res["TotalCount"] == 6


async def test_get_group_info_per_id_errors_and_filter(tim):
    gid = await ok_group(tim, Owner_Account="leckie", AppDefinedData=[{"Key": "a", "Value": "1"},
                                                                      {"Key": "b", "Value": "2"}])
    res = await tim("get_group_info", {"GroupIdList": [gid, "nope", ""]})
    assert [g["ErrorCode"] for g in res["GroupInfo"]] == [0, 10010, 10015]
    assert res["GroupInfo"][1] == {"GroupId": "nope", "ErrorCode": 10010, "ErrorInfo": res["GroupInfo"][1]["ErrorInfo"]}
    flt = {"GroupBaseInfoFilter": ["Name", "MemberNum"], "MemberInfoFilter": ["Role"],
           "AppDefinedDataFilter_Group": ["b"]}
    g = (await tim("get_group_info", {"GroupIdList": [gid], "ResponseFilter": flt}))["GroupInfo"][0]
    assert g == {"GroupId": gid, "ErrorCode": 0, "ErrorInfo": "", "Name": "g", "MemberNum": 1,
                 "AppDefinedData": [{"Key": "b", "Value": "2"}],
                 "MemberList": [{"Member_Account": "leckie", "Role": "Owner"}]}
    g = (await tim("get_group_info", {"GroupIdList": [gid], "ResponseFilter": {"GroupBaseInfoFilter": ["Type"]}}))
    assert "MemberList" not in g["GroupInfo"][0] and g["GroupInfo"][0]["Type"] == "Public"
    assert (await tim("get_group_info", {"GroupIdList": ["x"] * 51}))["ErrorCode"] == 10005


async def test_modify_group_base_info_updates_counters(client, tim):
    await set_clock(client, freeze_at=1_700_000_000)
    gid = await ok_group(tim, Owner_Account="leckie", AppDefinedData=[{"Key": "a", "Value": "1"}])
    await set_clock(client, advance_s=10)
    res = await tim("modify_group_base_info", {"GroupId": gid, "Name": "new", "MaxMemberNum": 100,
                                               "MuteAllMember": "On", "Notification": "n",
                                               "AppDefinedData": [{"Key": "a", "Value": ""}, {"Key": "c", "Value": "3"}]})
    assert res["ErrorCode"] == 0, res
    g = await info(tim, gid)
    assert (g["Name"], g["MaxMemberNum"], g["MuteAllMember"], g["InfoSeq"], g["LastInfoTime"]) == \
        ("new", 100, "On", 2, 1_700_000_010)
    assert g["AppDefinedData"] == [{"Key": "c", "Value": "3"}]
    assert (await tim("modify_group_base_info", {"GroupId": gid, "Name": "x" * 31}))["ErrorCode"] == 10004
    assert (await tim("modify_group_base_info", {"GroupId": gid, "MaxMemberNum": 6001}))["ErrorCode"] == 10004
    assert (await tim("modify_group_base_info", {"GroupId": gid, "MuteAllMember": "Yes"}))["ErrorCode"] == 10004
    assert (await tim("modify_group_base_info", {"GroupId": gid, "EnablePermission": 1}))["ErrorCode"] == 10004
    assert (await tim("modify_group_base_info", {"GroupId": "nope", "Name": "x"}))["ErrorCode"] == 10010
    assert (await info(tim, gid))["InfoSeq"] == 2


async def test_destroy_then_10010_everywhere(tim, runtime):
    gid = await ok_group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    assert (await tim("destroy_group", {"GroupId": gid}))["ErrorCode"] == 0
    for cmd, body in (("destroy_group", {}), ("add_group_member", {"MemberList": [{"Member_Account": "tommy"}]}),
                      ("get_group_member_info", {}), ("modify_group_base_info", {"Name": "x"})):
        assert (await tim(cmd, {"GroupId": gid, **body}))["ErrorCode"] == 10010, cmd
    joined = await tim("get_joined_group_list", {"Member_Account": "bob"})
    assert joined["TotalCount"] == 0
    assert runtime.check_invariants()["tencent"] == []


async def test_change_group_owner(tim):
    gid = await ok_group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    assert (await tim("change_group_owner", {"GroupId": gid, "NewOwner_Account": "tommy"}))["ErrorCode"] == 10004
    assert (await tim("change_group_owner", {"GroupId": gid, "NewOwner_Account": "ghost"}))["ErrorCode"] == 10019
    assert (await tim("change_group_owner", {"GroupId": gid, "NewOwner_Account": "bob"}))["ErrorCode"] == 0
    roles = await tim("get_role_in_group", {"GroupId": gid, "User_Account": ["leckie", "bob", "tommy"]})
    assert roles["UserIdList"] == [{"Member_Account": "leckie", "Role": "Member"},
                                   {"Member_Account": "bob", "Role": "Owner"},
                                   {"Member_Account": "tommy", "Role": "NotMember"}]
    assert (await info(tim, gid))["Owner_Account"] == "bob"


async def test_import_group_with_create_time(client, tim):
    res = await tim("import_group", {"Type": "Public", "Name": "old", "Owner_Account": "leckie",
                                     "GroupId": "legacy-1", "CreateTime": 1448000000})
    assert res == {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "GroupId": "legacy-1"}
    g = await info(tim, "legacy-1")
    assert g["CreateTime"] == 1448000000 and g["MaxMemberNum"] == 2000 and g["MemberNum"] == 1
    assert (await tim("import_group", {"Type": "AVChatRoom", "Name": "x"}))["ErrorCode"] == 10007
    assert (await tim("import_group", {"Type": "Public", "Name": "x", "GroupId": "@TGS#2AAAA"}))["ErrorCode"] == 10015
    assert (await tim("import_group", {"Type": "Public", "Name": "x", "CreateTime": 4_000_000_000}))["ErrorCode"] == 10004


async def test_get_joined_group_list(tim):
    a = await ok_group(tim, Owner_Account="leckie", Name="A")
    b = await ok_group(tim, Type="Private", Name="B", MemberList=[{"Member_Account": "leckie", "Role": "Admin"}])
    res = await tim("get_joined_group_list", {"Member_Account": "leckie"})
    assert res["TotalCount"] == 2 and res["GroupIdList"] == [{"GroupId": a}, {"GroupId": b}]
    res = await tim("get_joined_group_list", {"Member_Account": "leckie", "GroupType": "Private",
                                              "ResponseFilter": {"GroupBaseInfoFilter": ["Name"],
                                                                 "SelfInfoFilter": ["Role", "UnreadMsgNum"]}})
    assert res["GroupIdList"] == [{"GroupId": b, "Name": "B", "SelfInfo": {"Role": "Admin", "UnreadMsgNum": 0}}]
    res = await tim("get_joined_group_list", {"Member_Account": "leckie", "Limit": 1, "Offset": 1})
    assert res["TotalCount"] == 2 and res["GroupIdList"] == [{"GroupId": b}]
    assert (await tim("get_joined_group_list", {"Member_Account": "ghost"}))["ErrorCode"] == 10019


async def test_get_role_in_group_limit_10005(tim):
    gid = await ok_group(tim)
    assert (await tim("get_role_in_group", {"GroupId": gid, "User_Account": ["x"] * 501}))["ErrorCode"] == 10005


async def test_get_online_member_num(tim):
    av = await ok_group(tim, Type="AVChatRoom")
    assert (await tim("get_online_member_num", {"GroupId": av}))["OnlineMemberNum"] == 0
    pub = await ok_group(tim)
    assert (await tim("get_online_member_num", {"GroupId": pub}))["ErrorCode"] == 10007


async def test_get_joined_group_list_paging_with_and_without_avchatroom_in_the_app(tim):
    """Paging takes only the page from the index; an app with an AVChatRoom takes the filtered
    path. TotalCount and the page are the same either way."""
    ids = [await ok_group(tim, Owner_Account="leckie", Name=f"G{i}") for i in range(3)]
    expect = {"TotalCount": 3, "GroupIdList": [{"GroupId": ids[1]}, {"GroupId": ids[2]}]}
    body = {"Member_Account": "leckie", "Limit": 5, "Offset": 1}
    res = await tim("get_joined_group_list", body)
    assert {k: res[k] for k in expect} == expect
    await ok_group(tim, Type="AVChatRoom", Name="live")
    for extra in ({}, {"WithHugeGroups": 1}):
        res = await tim("get_joined_group_list", {**body, **extra})
        assert {k: res[k] for k in expect} == expect
    res = await tim("get_joined_group_list", {"Member_Account": "leckie", "Offset": 3})
    assert res["TotalCount"] == 3 and res["GroupIdList"] == []
