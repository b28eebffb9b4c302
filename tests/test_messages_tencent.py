"""Tencent message APIs over HTTP with real UserSigs: one-to-one (v4/openim) and group
(v4/group_open_http_svc), their documented errors, unread counts, the store's view through
/_emulator/messages, faults and rate limits, dump/load."""

from __future__ import annotations

import pytest

from tests.tencent_support import set_clock

T0 = 1_760_000_000


def text(t: str) -> list:
    return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}]


async def ok(tim, path, body):
    res = await tim(path, body)
    assert res["ErrorCode"] == 0, res
    return res


async def send(tim, to="bob", frm="leckie", t="hi", **extra):
    return await ok(tim, "openim/sendmsg", {"From_Account": frm, "To_Account": to, "MsgRandom": 1234,
                                            "MsgBody": text(t), **extra})


async def group(tim, **body) -> str:
    body.setdefault("Type", "Public")
    body.setdefault("Name", "g")
    body.setdefault("Owner_Account", "leckie")
    body.setdefault("MemberList", [{"Member_Account": "bob"}, {"Member_Account": "tommy"}])
    return (await ok(tim, "create_group", body))["GroupId"]


async def gsend(tim, gid, t="hello", rnd=[0], **extra):
    rnd[0] += 1
    return await tim("send_group_msg", {"GroupId": gid, "Random": rnd[0], "MsgBody": text(t), **extra})


async def stored(client, **query):
    resp = await client.get("/_emulator/messages", params=query)
    assert resp.status == 200, await resp.text()
    return await resp.json()


@pytest.fixture
async def frozen(client):
    await set_clock(client, freeze_at=T0)


# --- one-to-one ---------------------------------------------------------------------------------
async def test_sendmsg_reply_key_and_store(tim, client, runtime, frozen):
    res = await send(tim, MsgSeq=48374, CloudCustomData="cc")
    assert res["MsgTime"] == T0 and res["MsgKey"] == f"48374_1234_{T0}"
    assert res["MsgId"].endswith(f"-{T0}-1234")
    page = await stored(client, provider="tencent", conversation="c2c:bob:leckie")
    [m] = page["messages"]
    assert m["from"] == "leckie" and m["seq"] == 1 and m["time"] == T0
    assert m["body"] == {"MsgBody": text("hi"), "CloudCustomData": "cc"}
    unread = await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "bob"})
    assert unread["AllC2CUnreadMsgNum"] == 1
    assert (await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "leckie"}))["AllC2CUnreadMsgNum"] == 0
    assert runtime.check_invariants()["tencent"] == []


async def test_sendmsg_admin_as_sender_and_controls(tim, client, frozen):
    await ok(tim, "openim/sendmsg", {"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("a"),
                                     "SendMsgControl": ["NoUnread"], "ForbidCallbackControl":
                                     ["ForbidBeforeSendMsgCallback"]})
    [m] = (await stored(client, conversation="c2c:administrator:bob"))["messages"]
    assert m["from"] == "administrator"
    assert m["body"]["ForbidCallbackControl"] == ["ForbidBeforeSendMsgCallback"]
    assert (await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "bob"}))["AllC2CUnreadMsgNum"] == 0


async def test_sendmsg_duplicate_within_120s_is_not_stored_twice(tim, client, frozen):
    first = await send(tim, MsgSeq=7)
    again = await send(tim, MsgSeq=7)
    assert again["MsgKey"] == first["MsgKey"]
    assert (await stored(client, conversation="c2c:bob:leckie"))["total"] == 1
    await set_clock(client, advance_s=121)
    await send(tim, MsgSeq=7)
    assert (await stored(client, conversation="c2c:bob:leckie"))["total"] == 2
    await send(tim, MsgSeq=7, t="other content")
    assert (await stored(client, conversation="c2c:bob:leckie"))["total"] == 3


async def test_sendmsg_online_only_is_not_history(tim, client, frozen):
    await send(tim, OnlineOnlyFlag=1)
    assert (await stored(client, conversation="c2c:bob:leckie"))["total"] == 0
    inbox = await stored(client, provider="tencent", user="bob")
    assert [m["conversation"] for m in inbox["messages"]] == ["online:c2c:bob:leckie"]
    roam = await ok(tim, "openim/admin_getroammsg", {"Operator_Account": "bob", "Peer_Account": "leckie",
                                                     "MaxCnt": 10, "MinTime": 0, "MaxTime": T0 + 1})
    assert roam["MsgCnt"] == 0


@pytest.mark.parametrize("body, code", [
    ({"MsgRandom": 1, "MsgBody": []}, 90003),                                   # To_Account missing
    ({"To_Account": "bob", "MsgBody": []}, 90005),                             # MsgRandom missing
    ({"To_Account": "bob", "MsgRandom": "x", "MsgBody": []}, 90005),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": {}}, 90007),             # not an array
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": []}, 90002),             # empty
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMNope", "MsgContent": {}}]}, 90002),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {}}]}, 90010),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 3}}]}, 90010),
    ({"To_Account": "ghost", "MsgRandom": 1, "MsgBody": text("x")}, 90012),
    ({"From_Account": "ghost", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x")}, 90008),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x"), "SyncOtherMachine": "1"}, 90031),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x"), "MsgLifeTime": "1"}, 90044),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x"), "MsgLifeTime": 604801}, 90026),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x"), "MsgTimeStamp": "now"}, 90006),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x"), "OfflinePushInfo": "no"}, 90043),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x" * 13000)}, 80002),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "a"}},
                                                       {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "b"}}]}, 90010),
    ({"To_Account": "bob", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMSoundElem", "MsgContent": {
        "Url": "u", "UUID": "x", "Download_Flag": 1}}]}, 90010),
])
async def test_sendmsg_documented_errors(tim, client, body, code):
    res = await tim("openim/sendmsg", body)
    assert res["ErrorCode"] == code, res
    assert res["ActionStatus"] == "FAIL"
    assert (await stored(client, provider="tencent"))["total"] == 0


async def test_every_element_type_is_accepted(tim, client):
    body = [
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}},
        {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "d", "Latitude": 22.5, "Longitude": 113.9}},
        {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 1, "Data": "content"}},
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "m", "Desc": "n", "Ext": "u", "Sound": "s"}},
        {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "https://x/s", "UUID": "s1", "Size": 5,
                                                   "Second": 3, "Download_Flag": 2}},
        {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "i1", "ImageFormat": 1, "ImageInfoArray": [
            {"Type": 1, "Size": 10, "Width": 4, "Height": 3, "URL": "https://x/i"}]}},
        {"MsgType": "TIMFileElem", "MsgContent": {"Url": "https://x/f", "UUID": "f1", "FileSize": 9,
                                                  "FileName": "a.txt", "Download_Flag": 2}},
        {"MsgType": "TIMVideoFileElem", "MsgContent": {
            "VideoUrl": "https://x/v", "VideoUUID": "v1", "VideoSize": 1, "VideoSecond": 2, "VideoFormat": "mp4",
            "VideoDownloadFlag": 2, "ThumbUrl": "https://x/t", "ThumbUUID": "t1", "ThumbSize": 1,
            "ThumbWidth": 2, "ThumbHeight": 3, "ThumbFormat": "JPG", "ThumbDownloadFlag": 2}},
    ]
    await ok(tim, "openim/sendmsg", {"To_Account": "bob", "MsgRandom": 5, "MsgBody": body})
    [m] = (await stored(client, user="bob"))["messages"]
    assert m["body"]["MsgBody"] == body


async def test_batchsendmsg(tim, client, frozen):
    res = await ok(tim, "openim/batchsendmsg", {"From_Account": "leckie", "To_Account": ["bob", "ghost", "tommy"],
                                                "MsgRandom": 99, "MsgBody": text("all")})
    assert res["ErrorList"] == [{"To_Account": "ghost", "ErrorCode": 70107}]
    assert res["MsgKey"].endswith(f"_99_{T0}")
    for user in ("bob", "tommy"):
        assert (await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": user}))["AllC2CUnreadMsgNum"] == 1
    assert (await tim("openim/batchsendmsg", {"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x")}))["ErrorCode"] == 90028
    assert (await tim("openim/batchsendmsg", {"To_Account": [], "MsgRandom": 1, "MsgBody": text("x")}))["ErrorCode"] == 90029
    many = [f"u{i}" for i in range(501)]
    assert (await tim("openim/batchsendmsg", {"To_Account": many, "MsgRandom": 1, "MsgBody": text("x")}))["ErrorCode"] == 90011
    big = text("x" * 12300)
    assert (await tim("openim/batchsendmsg", {"To_Account": ["bob"], "MsgRandom": 1, "MsgBody": big}))["ErrorCode"] == 90055


async def test_importmsg_dedup_and_unread(tim, client, frozen):
    body = {"SyncFromOldSystem": 2, "From_Account": "leckie", "To_Account": "bob", "MsgSeq": 3, "MsgRandom": 4,
            "MsgTimeStamp": T0 - 100, "MsgBody": text("old")}
    await ok(tim, "openim/importmsg", body)
    await ok(tim, "openim/importmsg", {**body, "MsgBody": text("changed")})           # duplicate
    await ok(tim, "openim/importmsg", {**body, "From_Account": "bob", "To_Account": "leckie"})  # swapped
    [m] = (await stored(client, conversation="c2c:bob:leckie"))["messages"]
    assert m["body"]["MsgBody"] == text("old") and m["imported"] and m["time"] == T0 - 100
    assert (await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "bob"}))["AllC2CUnreadMsgNum"] == 0
    await ok(tim, "openim/importmsg", {**body, "SyncFromOldSystem": 1, "MsgSeq": 9})
    assert (await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "bob"}))["AllC2CUnreadMsgNum"] == 1
    assert (await tim("openim/importmsg", {**body, "SyncFromOldSystem": 3}))["ErrorCode"] == 90030
    assert (await tim("openim/importmsg", {**body, "From_Account": "ghost"}))["ErrorCode"] == 90008
    assert (await tim("openim/importmsg", {**body, "To_Account": "ghost"}))["ErrorCode"] == 90012
    missing = dict(body)
    del missing["MsgTimeStamp"]
    assert (await tim("openim/importmsg", missing))["ErrorCode"] == 90006


async def test_admin_msgwithdraw(tim, client, frozen):
    key = (await send(tim, MsgSeq=1))["MsgKey"]
    assert (await tim("openim/admin_msgwithdraw", {"From_Account": "bob", "To_Account": "leckie",
                                                   "MsgKey": key}))["ErrorCode"] == 90054
    await ok(tim, "openim/admin_msgwithdraw", {"From_Account": "leckie", "To_Account": "bob", "MsgKey": key})
    [m] = (await stored(client, conversation="c2c:bob:leckie"))["messages"]
    assert m["recalled"]
    again = await tim("openim/admin_msgwithdraw", {"From_Account": "leckie", "To_Account": "bob", "MsgKey": key})
    assert again["ErrorCode"] == 20023
    assert (await tim("openim/admin_msgwithdraw", {"From_Account": "leckie", "To_Account": "bob",
                                                   "MsgKey": "1_2_3"}))["ErrorCode"] == 90054
    assert (await tim("openim/admin_msgwithdraw", {"From_Account": "ghost", "To_Account": "bob",
                                                   "MsgKey": key}))["ErrorCode"] == 90008
    roam = await ok(tim, "openim/admin_getroammsg", {"Operator_Account": "bob", "Peer_Account": "leckie",
                                                     "MaxCnt": 5, "MinTime": 0, "MaxTime": T0})
    assert roam["MsgList"][0]["MsgFlagBits"] == 8


async def test_set_msg_read_and_unread_per_peer(tim, client, frozen):
    await send(tim, t="1")
    await set_clock(client, advance_s=10)
    await send(tim, t="2")
    await send(tim, frm="tommy", t="3")
    res = await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "bob",
                                                          "Peer_Account": ["leckie", "tommy", "ghost"]})
    assert res["AllC2CUnreadMsgNum"] == 3
    assert res["C2CUnreadMsgNumList"] == [{"Peer_Account": "leckie", "C2CUnreadMsgNum": 2},
                                          {"Peer_Account": "tommy", "C2CUnreadMsgNum": 1}]
    assert res["ErrorList"] == [{"Peer_Account": "ghost", "ErrorCode": 70107}]
    await ok(tim, "openim/admin_set_msg_read", {"Report_Account": "bob", "Peer_Account": "leckie",
                                                "MsgReadTime": T0})                   # only the first
    res = await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "bob", "Peer_Account": ["leckie"]})
    assert res["C2CUnreadMsgNumList"][0]["C2CUnreadMsgNum"] == 1
    roam = await ok(tim, "openim/admin_getroammsg", {"Operator_Account": "leckie", "Peer_Account": "bob",
                                                     "MaxCnt": 5, "MinTime": 0, "MaxTime": T0 + 20})
    assert [m["IsPeerRead"] for m in roam["MsgList"]] == [1, 0]
    await ok(tim, "openim/admin_set_msg_read", {"Report_Account": "bob", "Peer_Account": "leckie",
                                                "MsgReadTime": str(T0 + 10)})        # string form (EN)
    res = await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "bob"})
    assert res["AllC2CUnreadMsgNum"] == 1
    await ok(tim, "openim/admin_set_msg_read", {"Report_Account": "bob", "Peer_Account": "tommy"})
    assert (await ok(tim, "openim/get_c2c_unread_msg_num", {"To_Account": "bob"}))["AllC2CUnreadMsgNum"] == 0
    for body, code in [({"Report_Account": "ghost", "Peer_Account": "bob"}, 90008),
                       ({"Report_Account": "bob", "Peer_Account": "ghost"}, 90003),
                       ({"Peer_Account": "bob"}, 90008)]:
        assert (await tim("openim/admin_set_msg_read", body))["ErrorCode"] == code
    assert (await tim("openim/get_c2c_unread_msg_num", {"To_Account": "ghost"}))["ErrorCode"] == 90003
    assert (await tim("openim/get_c2c_unread_msg_num", {"To_Account": "bob",
                                                        "Peer_Account": [f"p{i}" for i in range(11)]}))["ErrorCode"] == 90001


async def test_getroammsg_pages_backwards(tim, client, frozen):
    keys = []
    for i in range(5):
        keys.append((await send(tim, t=f"m{i}", MsgSeq=i + 1))["MsgKey"])
        await set_clock(client, advance_s=1)
    q = {"Operator_Account": "leckie", "Peer_Account": "bob", "MaxCnt": 2, "MinTime": 0, "MaxTime": T0 + 10}
    page = await ok(tim, "openim/admin_getroammsg", q)
    assert page["Complete"] == 0 and page["MsgCnt"] == 2
    assert [m["MsgBody"][0]["MsgContent"]["Text"] for m in page["MsgList"]] == ["m3", "m4"]
    assert page["LastMsgKey"] == keys[3] and page["LastMsgTime"] == T0 + 3
    seen = [m["MsgKey"] for m in page["MsgList"]]
    while page["Complete"] == 0:
        page = await ok(tim, "openim/admin_getroammsg", {**q, "MaxTime": page["LastMsgTime"],
                                                         "LastMsgKey": page["LastMsgKey"]})
        seen = [m["MsgKey"] for m in page["MsgList"]] + seen
    assert seen == keys
    legacy = await ok(tim, "openim/admin_getroammsg", {"From_Account": "bob", "To_Account": "leckie",
                                                       "MaxCnt": 10, "MinTime": T0 + 1, "MaxTime": T0 + 2})
    assert legacy["MsgCnt"] == 2 and legacy["Complete"] == 1
    hidden = await send(tim, t="quiet", SyncOtherMachine=2, MsgSeq=77)
    mine = await ok(tim, "openim/admin_getroammsg", {**q, "MaxCnt": 100, "MaxTime": T0 + 100})
    assert hidden["MsgKey"] not in [m["MsgKey"] for m in mine["MsgList"]]
    theirs = await ok(tim, "openim/admin_getroammsg", {**q, "Operator_Account": "bob", "Peer_Account": "leckie",
                                                       "MaxCnt": 100, "MaxTime": T0 + 100})
    assert hidden["MsgKey"] in [m["MsgKey"] for m in theirs["MsgList"]]
    for body, code in [({**q, "Operator_Account": "ghost"}, 90008), ({**q, "Peer_Account": "ghost"}, 90003),
                       ({**q, "MaxCnt": "x"}, 90001)]:
        assert (await tim("openim/admin_getroammsg", body))["ErrorCode"] == code


async def test_getroammsg_page_stops_at_13kb(tim, client, frozen):
    for i in range(5):
        await send(tim, t="y" * 4000, MsgSeq=i + 1)
    page = await ok(tim, "openim/admin_getroammsg", {"Operator_Account": "leckie", "Peer_Account": "bob",
                                                     "MaxCnt": 100, "MinTime": 0, "MaxTime": T0})
    assert page["MsgCnt"] == 3 and page["Complete"] == 0


# --- groups -----------------------------------------------------------------------------------------
async def test_send_group_msg_seq_unread_and_info(tim, client, runtime, frozen):
    gid = await group(tim)
    info = (await ok(tim, "get_group_info", {"GroupIdList": [gid]}))["GroupInfo"][0]
    assert info["NextMsgSeq"] == 1
    r1 = await gsend(tim, gid, From_Account="bob")
    r2 = await gsend(tim, gid)                                   # the app admin
    assert (r1["MsgSeq"], r2["MsgSeq"], r1["MsgTime"], r1["MsgDropReason"]) == (1, 2, T0, "")
    info = (await ok(tim, "get_group_info", {"GroupIdList": [gid]}))["GroupInfo"][0]
    assert info["NextMsgSeq"] == 3 and info["LastMsgTime"] == T0
    members = {m["Member_Account"]: m for m in
               (await ok(tim, "get_group_member_info", {"GroupId": gid}))["MemberList"]}
    assert members["bob"]["MsgSeq"] == 1 and members["bob"]["LastSendMsgTime"] == T0
    joined = await ok(tim, "get_joined_group_list", {"Member_Account": "tommy", "ResponseFilter": {
        "SelfInfoFilter": ["UnreadMsgNum"]}})
    assert joined["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"] == 2
    joined = await ok(tim, "get_joined_group_list", {"Member_Account": "bob", "ResponseFilter": {
        "SelfInfoFilter": ["UnreadMsgNum"]}})
    assert joined["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"] == 1
    await gsend(tim, gid, SendMsgControl=["NoUnread"])
    await gsend(tim, gid, To_Account=["bob"])
    joined = await ok(tim, "get_joined_group_list", {"Member_Account": "tommy", "ResponseFilter": {
        "SelfInfoFilter": ["UnreadMsgNum"]}})
    assert joined["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"] == 2
    inbox = await stored(client, provider="tencent", tenant="1400000000", user="tommy")
    assert [m["seq"] for m in inbox["messages"]] == [1, 2, 3]          # not the message targeted at bob
    await set_clock(client, advance_s=5)
    await ok(tim, "add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "jared"}]})
    assert (await stored(client, user="jared"))["total"] == 0          # joined after those were sent
    await gsend(tim, gid)
    assert [m["seq"] for m in (await stored(client, user="jared"))["messages"]] == [5]
    await ok(tim, "delete_group_member", {"GroupId": gid, "MemberToDel_Account": ["jared"]})
    # import_group_member's UnreadMsgNum is clamped to the group's message count (5)
    await ok(tim, "import_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "jared",
                                                                          "UnreadMsgNum": 99}]})
    joined = await ok(tim, "get_joined_group_list", {"Member_Account": "jared", "ResponseFilter": {
        "SelfInfoFilter": ["UnreadMsgNum"]}})
    assert joined["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"] == 5
    assert runtime.check_invariants()["tencent"] == []


async def test_send_group_msg_sender_rules(tim, client):
    gid = await group(tim)
    assert (await gsend(tim, gid, From_Account="jared"))["ErrorCode"] == 10007     # not a member
    assert (await gsend(tim, gid, From_Account="ghost"))["ErrorCode"] == 10019
    await ok(tim, "forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"], "MuteTime": 600})
    assert (await gsend(tim, gid, From_Account="bob"))["ErrorCode"] == 10017
    await ok(tim, "forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"], "MuteTime": 0})
    assert (await gsend(tim, gid, From_Account="bob"))["ErrorCode"] == 0
    await ok(tim, "modify_group_base_info", {"GroupId": gid, "MuteAllMember": "On"})
    assert (await gsend(tim, gid, From_Account="bob"))["ErrorCode"] == 10017
    assert (await gsend(tim, gid, From_Account="leckie"))["ErrorCode"] == 0         # the owner may speak
    assert (await gsend(tim, gid))["ErrorCode"] == 0                                # the app admin too
    await ok(tim, "destroy_group", {"GroupId": gid})
    assert (await gsend(tim, gid))["ErrorCode"] == 10010
    assert (await gsend(tim, ""))["ErrorCode"] == 10015
    assert (await stored(client, conversation=f"group:{gid}"))["total"] == 0      # history went with it


async def test_non_member_send_setting(tim, client, runtime):
    runtime.providers["tencent"].backend.tenants["1400000000"].message_settings["group_non_member_send"] = "accept"
    gid = await group(tim)
    assert (await gsend(tim, gid, From_Account="jared"))["ErrorCode"] == 0


async def test_send_group_msg_body_and_limits(tim):
    gid = await group(tim)
    bad = await tim("send_group_msg", {"GroupId": gid, "Random": 1, "MsgBody": [{"MsgType": "TIMTextElem",
                                                                                 "MsgContent": {}}]})
    assert bad["ErrorCode"] == 10004
    assert (await tim("send_group_msg", {"GroupId": gid, "MsgBody": text("x")}))["ErrorCode"] == 10004
    assert (await gsend(tim, gid, t="x" * 13000))["ErrorCode"] == 80002
    assert (await gsend(tim, gid, To_Account=[f"u{i}" for i in range(51)]))["ErrorCode"] == 10004
    ats = [{"GroupAtAllFlag": 0, "GroupAt_Account": "bob"}] * 31
    assert (await gsend(tim, gid, GroupAtInfo=ats))["ErrorCode"] == 10053
    assert (await gsend(tim, gid, MsgPriority="Urgent"))["ErrorCode"] == 10004


async def test_group_send_rate_40_per_second_10023(tim, client, runtime, frozen):
    gid = await group(tim)
    codes = [(await gsend(tim, gid))["ErrorCode"] for _ in range(41)]
    assert codes[:40] == [0] * 40 and codes[40] == 10023
    other = await group(tim, GroupId="other-room")
    assert (await gsend(tim, other))["ErrorCode"] == 0                  # per group
    await set_clock(client, advance_s=1)
    assert (await gsend(tim, gid))["ErrorCode"] == 0
    runtime.providers["tencent"].backend.tenants["1400000000"].message_settings["group_msg_per_second"] = 0
    assert [(await gsend(tim, gid))["ErrorCode"] for _ in range(45)] == [0] * 45


async def test_avchatroom_history_code_setting_10044(tim, runtime):
    runtime.providers["tencent"].backend.tenants["1400000000"].message_settings["avchatroom_history_code"] = 10044
    gid = (await ok(tim, "create_group", {"Type": "AVChatRoom", "Name": "live"}))["GroupId"]
    assert (await tim("group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 5}))["ErrorCode"] == 10044


async def test_group_random_dedup(tim, client, frozen):
    gid = await group(tim)
    body = {"GroupId": gid, "Random": 555, "MsgBody": text("same")}
    a = await ok(tim, "send_group_msg", body)
    b = await ok(tim, "send_group_msg", body)
    assert a["MsgSeq"] == b["MsgSeq"] == 1
    c = await ok(tim, "send_group_msg", {**body, "MsgBody": text("different")})
    assert c["MsgSeq"] == 2
    await set_clock(client, advance_s=301)
    assert (await ok(tim, "send_group_msg", body))["MsgSeq"] == 3


async def test_avchatroom_send_no_history(tim, client):
    gid = (await ok(tim, "create_group", {"Type": "AVChatRoom", "Name": "live"}))["GroupId"]
    res = await ok(tim, "send_group_msg", {"GroupId": gid, "Random": 1, "MsgBody": text("live")})
    assert res["MsgSeq"] == 1
    assert (await tim("group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 5}))["ErrorCode"] == 10007
    assert (await ok(tim, "delete_group_msg_by_sender", {"GroupId": gid, "Sender_Account": "bob"})) is not None
    assert (await tim("import_group_msg", {"GroupId": gid, "MsgList": [
        {"From_Account": "bob", "SendTime": 1, "MsgBody": text("x")}]}))["ErrorCode"] == 10007
    assert (await stored(client, conversation=f"group:{gid}"))["total"] == 1


async def test_online_only_group_message(tim, client):
    gid = await group(tim)
    res = await ok(tim, "send_group_msg", {"GroupId": gid, "Random": 1, "MsgBody": text("o"), "OnlineOnlyFlag": 1})
    assert res["MsgSeq"] == 0
    info = (await ok(tim, "get_group_info", {"GroupIdList": [gid]}))["GroupInfo"][0]
    assert info["NextMsgSeq"] == 1
    assert [m["conversation"] for m in (await stored(client, user="bob"))["messages"]] == [f"online:group:{gid}"]


async def test_group_msg_get_simple_recall_delete(tim, client, frozen):
    gid = await group(tim)
    for i in range(25):
        await gsend(tim, gid, t=f"m{i}", From_Account="bob" if i % 2 else "tommy")
    page = await ok(tim, "group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 30})
    assert [m["MsgSeq"] for m in page["RspMsgList"]] == list(range(25, 5, -1)) and page["IsFinished"] == 0
    page = await ok(tim, "group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 10, "ReqMsgSeq": 5})
    assert [m["MsgSeq"] for m in page["RspMsgList"]] == [5, 4, 3, 2, 1] and page["IsFinished"] == 1
    item = page["RspMsgList"][0]
    assert item["From_Account"] == "tommy" and item["MsgPriority"] == 2 and item["IsPlaceMsg"] == 0
    rec = await ok(tim, "group_msg_recall", {"GroupId": gid, "MsgSeqList": [{"MsgSeq": 5}, {"MsgSeq": 99}]})
    assert [(r["MsgSeq"], r["RetCode"]) for r in rec["RecallRetList"]] == [(5, 0), (99, 10030)]
    again = await ok(tim, "group_msg_recall", {"GroupId": gid, "MsgSeqList": [{"MsgSeq": 5}]})
    assert again["RecallRetList"][0]["RetCode"] == 10030
    page = await ok(tim, "group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 2, "ReqMsgSeq": 5})
    assert [m["MsgSeq"] for m in page["RspMsgList"]] == [4, 3]
    page = await ok(tim, "group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 2, "ReqMsgSeq": 5,
                                                  "WithRecalledMsg": 1})
    assert page["RspMsgList"][0]["IsPlaceMsg"] == 2
    await ok(tim, "delete_group_msg_by_sender", {"GroupId": gid, "Sender_Account": "bob"})
    page = await ok(tim, "group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 2, "ReqMsgSeq": 4})
    assert [(m["MsgSeq"], m["IsPlaceMsg"], m["MsgBody"]) for m in page["RspMsgList"]] == [(4, 1, []), (3, 0, text("m2"))]
    assert (await tim("group_msg_recall", {"GroupId": gid, "MsgSeqList": [{"MsgSeq": i} for i in range(1, 12)]}))["ErrorCode"] == 10004
    assert (await tim("delete_group_msg_by_sender", {"GroupId": gid, "Sender_Account": "ghost"}))["ErrorCode"] == 10019
    assert (await tim("group_msg_get_simple", {"GroupId": "nope", "ReqMsgNumber": 1}))["ErrorCode"] == 10010


async def test_import_group_msg(tim, client, frozen):
    gid = (await ok(tim, "import_group", {"Type": "Public", "Name": "old", "Owner_Account": "leckie",
                                          "CreateTime": T0 - 1000}))["GroupId"]
    await ok(tim, "import_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "bob"}]})
    res = await ok(tim, "import_group_msg", {"GroupId": gid, "MsgList": [
        {"From_Account": "leckie", "SendTime": T0 - 900, "Random": 1, "MsgBody": text("a")},
        {"From_Account": "bob", "SendTime": T0 - 950, "MsgBody": text("too early")},
        {"From_Account": "bob", "SendTime": T0 - 800, "MsgBody": text("b")},
        {"From_Account": "bob", "SendTime": T0 + 5, "MsgBody": text("future")},
        {"From_Account": "bob", "SendTime": T0 - 700, "MsgBody": text("x" * 13000)},
    ]})
    assert [(r["MsgSeq"], r["Result"]) for r in res["ImportMsgResult"]] == [(1, 0), (0, 10004), (2, 0),
                                                                            (0, 10004), (0, 80002)]
    await gsend(tim, gid, From_Account="leckie")
    joined = await ok(tim, "get_joined_group_list", {"Member_Account": "bob", "ResponseFilter": {
        "SelfInfoFilter": ["UnreadMsgNum"]}})
    assert joined["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"] == 1
    await set_clock(client, advance_s=10)
    await ok(tim, "import_group_msg", {"GroupId": gid, "MsgList": [
        {"From_Account": "bob", "SendTime": T0 + 5, "MsgBody": text("late")}]})
    assert (await ok(tim, "import_group_msg", {"GroupId": gid, "MsgList": [
        {"From_Account": "bob", "SendTime": T0 + 4, "MsgBody": text("before last")}]}))["ImportMsgResult"][0]["Result"] == 10004
    joined = await ok(tim, "get_joined_group_list", {"Member_Account": "bob", "ResponseFilter": {
        "SelfInfoFilter": ["UnreadMsgNum"]}})
    assert joined["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"] == 0
    eight = [{"From_Account": "bob", "SendTime": T0 - 500 + i, "MsgBody": text("x")} for i in range(8)]
    assert (await tim("import_group_msg", {"GroupId": gid, "MsgList": eight}))["ErrorCode"] == 10004
    msgs = (await stored(client, conversation=f"group:{gid}"))["messages"]
    assert [m["imported"] for m in msgs] == [True, True, False, True]


async def test_system_notification(tim, client):
    gid = await group(tim)
    await ok(tim, "send_group_system_notification", {"GroupId": gid, "Content": "hello all"})
    await ok(tim, "send_group_system_notification", {"GroupId": gid, "Content": "psst",
                                                     "ToMembers_Account": ["bob", "jared"]})
    bob = [m["body"] for m in (await stored(client, user="bob"))["messages"]]
    tommy = [m["body"] for m in (await stored(client, user="tommy"))["messages"]]
    assert bob == [{"Content": "hello all"}, {"Content": "psst"}] and tommy == [{"Content": "hello all"}]
    assert (await ok(tim, "group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 5}))["RspMsgList"] == []
    av = (await ok(tim, "create_group", {"Type": "AVChatRoom", "Name": "live"}))["GroupId"]
    assert (await tim("send_group_system_notification", {"GroupId": av, "Content": "x",
                                                         "ToMembers_Account": ["bob"]}))["ErrorCode"] == 10007
    assert (await tim("send_group_system_notification", {"GroupId": gid}))["ErrorCode"] == 10004


# --- what a test sees: journal, faults, rate limits, control plane ---------------------------------
async def test_sends_are_journaled_and_faults_apply(tim, client):
    gid = await group(tim)
    resp = await client.post("/_emulator/faults", json={"provider": "tencent", "api": "group_open_http_svc/send_group_msg",
                                                        "error": 10002, "times": 1})
    assert resp.status == 201
    assert (await gsend(tim, gid))["ErrorCode"] == 10002
    assert (await gsend(tim, gid))["ErrorCode"] == 0
    journal = await (await client.get("/_emulator/journal", params={"api": "group_open_http_svc/send_group_msg"})).json()
    assert journal["count"] == 2
    assert (await stored(client, conversation=f"group:{gid}"))["total"] == 1


async def test_rate_limit_applies_to_sendmsg(tim, client, runtime, frozen):
    runtime.providers["tencent"].backend.tenants["1400000000"].rate_limit = 2
    codes = [(await tim("openim/sendmsg", {"To_Account": "bob", "MsgRandom": i, "MsgBody": text("x")}))["ErrorCode"]
             for i in range(4)]
    assert codes[:2] == [0, 0] and 60007 in codes[2:]


async def test_control_plane_paging_and_errors(tim, client, frozen):
    for i in range(5):
        await send(tim, t=str(i))
    page = await stored(client, provider="tencent", limit=2)
    assert page["count"] == 2 and page["next_offset"] == 2 and page["total"] == 5
    last = await stored(client, provider="tencent", offset=4, limit=2)
    assert last["count"] == 1 and last["next_offset"] is None
    assert (await stored(client, since=T0 + 1))["total"] == 0
    assert (await client.get("/_emulator/messages", params={"limit": "0"})).status == 400
    assert (await client.get("/_emulator/messages", params={"provider": "nope"})).status == 400
    assert (await client.get("/_emulator/messages", params={"provider": "tencent", "tenant": "1"})).status == 404


async def test_dump_load_reset_and_cap(tim, client, runtime, frozen):
    gid = await group(tim)
    await gsend(tim, gid, From_Account="bob")
    await send(tim, MsgSeq=3)
    dump = await (await client.get("/_emulator/state", params={"provider": "tencent"})).json()
    assert dump["tencent"]["1400000000"]["messages"]["conversations"]
    await client.post("/_emulator/reset")
    assert (await stored(client))["total"] == 0
    assert (await client.put("/_emulator/state", json=dump)).status == 200
    again = await (await client.get("/_emulator/state", params={"provider": "tencent"})).json()
    assert again == dump
    assert (await gsend(tim, gid))["MsgSeq"] == 2
    # a tenant cap of 3: the oldest go first and are counted; sequences keep going
    app = runtime.providers["tencent"].backend.tenants["1400000000"]
    app.messages.cap = 3
    for _ in range(3):
        await gsend(tim, gid)
    assert app.messages.stored == 3 and app.messages.dropped == 3     # 6 sent in all
    page = await ok(tim, "group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 20})
    assert [m["MsgSeq"] for m in page["RspMsgList"]] == [5, 4, 3]
    assert runtime.check_invariants()["tencent"] == []


async def test_scenario_seeds_messages(client, tim):
    scenario = {"tencent": {"apps": [{
        "sdkappid": 1400000001, "key": "k" * 64, "admins": ["admin"], "accounts": [{"UserID": "a"}, {"UserID": "b"}],
        "groups": [{"GroupId": "g1", "Type": "Public", "Name": "g", "Owner_Account": "a",
                    "MemberList": [{"Member_Account": "b"}]}],
        "message_settings": {"mute_all_blocks": "everyone"},
        "messages": {"cap": 10, "conversations": [
            {"id": "group:g1", "kind": "group", "first_seq": 5, "messages": [
                {"from": "a", "time": 1_700_000_000, "body": {"MsgBody": text("seeded")}, "ids": [1]}]},
            {"id": "c2c:a:b", "kind": "c2c", "users": ["a", "b"], "marks": {"b": [0, 1]}, "messages": [
                {"from": "a", "time": 1_700_000_000, "body": "not an object"}]}]}}]}}
    resp = await client.post("/_emulator/scenario", json=scenario)
    assert resp.status == 200, await resp.text()
    from tests.tencent_support import tencent_query
    q = tencent_query("admin", sdkappid=1400000001, key="k" * 64)
    info = await tim("get_group_info", {"GroupIdList": ["g1"]}, query=q)
    assert info["GroupInfo"][0]["NextMsgSeq"] == 6
    page = await tim("group_msg_get_simple", {"GroupId": "g1", "ReqMsgNumber": 5}, query=q)
    assert page["RspMsgList"][0]["MsgBody"] == text("seeded") and page["RspMsgList"][0]["MsgSeq"] == 5
    roam = await tim("openim/admin_getroammsg", {"Operator_Account": "b", "Peer_Account": "a", "MaxCnt": 5,
                                                 "MinTime": 0, "MaxTime": 1_800_000_000}, query=q)
    assert roam["MsgList"][0]["MsgKey"] == "1_0_1700000000" and roam["MsgList"][0]["MsgBody"] == []
    unread = await tim("openim/get_c2c_unread_msg_num", {"To_Account": "b"}, query=q)
    assert unread["AllC2CUnreadMsgNum"] == 1
    bad = {"tencent": {"apps": [{"sdkappid": 1400000002, "key": "k", "admins": ["admin"], "messages": {
        "conversations": [{"id": "x", "kind": "c2c", "messages": [{"from": "a", "time": 1, "seq": 4}]}]}}]}}
    resp = await client.post("/_emulator/scenario", json=bad)
    assert resp.status == 400
    assert "messages.conversations[0].messages[0].seq" in await resp.text()


async def test_message_reads_marked_readonly_change_nothing(tim, client, runtime, frozen):
    """The durable log skips read-only routes, so these must never change state."""
    from emulator.providers.tencent import urls
    gid = await group(tim)
    await gsend(tim, gid)
    await send(tim)
    before = runtime.dump_state()
    for path, body in [("group_msg_get_simple", {"GroupId": gid, "ReqMsgNumber": 5}),
                       ("openim/admin_getroammsg", {"Operator_Account": "tommy", "Peer_Account": "jared",
                                                    "MaxCnt": 5, "MinTime": 0, "MaxTime": T0}),
                       ("openim/get_c2c_unread_msg_num", {"To_Account": "tommy", "Peer_Account": ["jared"]})]:
        await ok(tim, path, body)
        service, command = path.split("/") if "/" in path else ("group_open_http_svc", path)
        assert urls.TABLE[(service, command)].readonly
    assert runtime.dump_state() == before


def test_check_msg_body_text_fast_path_agrees():
    """The one-text-element shortcut of check_msg_body accepts only what the full check accepts:
    a Download_Flag on a text element, a non-str Text and an oversize body still fail."""
    from types import SimpleNamespace

    from emulator.providers.tencent import models_messages as mm
    from emulator.providers.tencent.errors import TencentError
    app = SimpleNamespace(message_settings={"max_msg_bytes": 64})

    def text(content):
        return [{"MsgType": "TIMTextElem", "MsgContent": content}]
    assert mm.check_msg_body(app, text({"Text": "hi"}), 1, 2) == b'[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]'
    for content, code in (({"Text": "hi", "Download_Flag": 1}, 2), ({"Text": 5}, 2), ({"Text": True}, 2),
                          ({"Text": "x" * 100}, 80002), ({}, 2)):
        with pytest.raises(TencentError) as e:
            mm.check_msg_body(app, text(content), 1, 2)
        assert e.value.code == code
