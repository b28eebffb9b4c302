"""OpenIM /msg routes and the group notifications stored in sg_<groupID> (reference
openim-users-messages-webhooks.md section 2), run under both version profiles side by side
(fixtures/openim-versions.yaml). Tokens come from the emulator's own /auth routes."""

from __future__ import annotations

import base64
import json

import orjson
import pytest

from tests.openim_support import openim_tenant
from tests.test_openim_versions import IM, P16, V383, im, settings, version  # noqa: F401 (fixtures)

TEXT = {"contentType": 101, "content": {"content": "hi"}}
PAGE = {"pageNumber": 1, "showNumber": 100}


def single(send="leckie", recv="bob", **extra):
    return {"sendID": send, "recvID": recv, "sessionType": 1, **TEXT, **extra}


def group_msg(gid, send="bob", **extra):
    return {"sendID": send, "groupID": gid, "sessionType": 3, **TEXT, **extra}


async def pull(im: IM, user: str, cid: str, begin=1, end=100, num=100, order=0):
    data = await im.ok("/msg/pull_msg_by_seq", {"userID": user, "order": order, "seqRanges": [
        {"conversationID": cid, "begin": begin, "end": end, "num": num}]})
    bucket = (data["notificationMsgs"] if cid.startswith("n_") else data["msgs"]) or {}
    return bucket.get(cid, {}).get("Msgs") or []


def content_of(m: dict) -> dict:
    return json.loads(base64.b64decode(m["content"]))


# --- send_msg ------------------------------------------------------------------------------------
async def test_send_single_stores_with_seq_and_ids(im, runtime):
    r1 = await im.ok("/msg/send_msg", single())
    r2 = await im.ok("/msg/send_msg", single(send="bob", recv="leckie"))
    assert len(r1["serverMsgID"]) == 32 and len(r1["clientMsgID"]) == 32
    assert r1["serverMsgID"] != r2["serverMsgID"] and r1["sendTime"] > 0
    assert ("modify" in r1) == (im.version == P16)          # patch.16's protocol has the key
    msgs = await pull(im, "bob", "si_bob_leckie")
    assert [m["seq"] for m in msgs] == [1, 2]
    assert msgs[0]["serverMsgID"] == r1["serverMsgID"] and msgs[0]["msgFrom"] == 200
    assert content_of(msgs[0]) == {"content": "hi"} and msgs[1]["sendID"] == "bob"
    seqs = await im.ok("/msg/newest_seq", {"userID": "bob"})
    assert seqs["maxSeqs"] == {"si_bob_leckie": 2} and seqs["minSeqs"] is None
    # the sender's read position is its own message
    rs = await im.ok("/msg/get_conversations_has_read_and_max_seq", {"userID": "leckie", "conversationIDs": None})
    assert rs["seqs"]["si_bob_leckie"]["maxSeq"] == 2 and rs["seqs"]["si_bob_leckie"]["hasReadSeq"] == 1
    assert ("pinnedConversationIDs" in rs) == (im.version == P16)


async def test_send_content_kept_sorted_and_1400_wrapped(im):
    await im.ok("/msg/send_msg", single(content={"content": "x", "zz": 1, "aa": True}))
    [m] = await pull(im, "bob", "si_bob_leckie")
    assert base64.b64decode(m["content"]).decode() == '{"aa":true,"content":"x","zz":1}'
    oa = {"sendID": "imAdmin", "recvID": "bob", "sessionType": 1, "contentType": 1400,
          "content": {"notificationName": "n", "notificationType": 1, "text": "t"}}
    await im.ok("/msg/send_msg", oa)           # 1400 forces sessionType 4: stored in sn_
    [m] = await pull(im, "bob", "sn_bob_imAdmin")
    assert m["sessionType"] == 4 and json.loads(content_of(m)["detail"])["text"] == "t"


async def test_send_by_non_admin_1002(im):
    assert await im.err("/msg/send_msg", single(), as_="leckie") == (
        1002, im.check("only app manager can send message"))


async def test_send_binding_errors_http_400(im):
    status, body = await im.raw("/msg/send_msg", {"recvID": "bob", "sessionType": 1, **TEXT})
    assert status == 400 and body["errCode"] == 1001 and "'SendID' failed on the 'required' tag" in body["errDlt"]
    status, body = await im.raw("/msg/send_msg", single(content=None))
    assert status == 400 and "'Content'" in body["errDlt"]
    status, body = await im.raw("/msg/send_msg", single(contentType="101"))
    assert status == 400 and body["errCode"] == 1001 and body["errMsg"] == "ArgsError"
    status, body = await im.raw("/msg/send_msg", {"sendID": "leckie", "sessionType": 3, **TEXT})
    assert status == 400 and "'GroupID'" in body["errDlt"]


async def test_send_unsupported_content_type_1001(im):
    assert await im.err("/msg/send_msg", single(contentType=113)) == (1001, "")


async def test_send_content_validation_500(im):
    body = await im.body("/msg/send_msg", single(content={"text": "hi"}))
    text = "Key: 'TextElem.Content' Error:Field validation for 'Content' failed on the 'required' tag"
    assert body["errCode"] == 500
    assert (body["errMsg"], body["errDlt"]) == im.pick(("ServerInternalError", text), (text, ""))
    body = await im.body("/msg/send_msg", single(contentType=110, content={"description": "d"}))
    assert body["errCode"] == 500
    body = await im.body("/msg/send_msg", single(contentType=106, content={"text": "t"}))
    assert body["errCode"] == 500
    await im.ok("/msg/send_msg", single(contentType=106, content={"text": "t", "atUserList": []}))


async def test_send_session_type_errors(im):
    assert await im.err("/msg/send_msg", group_msg("g", sessionType=2)) == (1001, "unknown sessionType")
    assert await im.err("/msg/send_msg", single(sessionType=9)) == (1001, "unknown sessionType")
    assert await im.err("/msg/send_msg", single(sessionType=4)) == (
        1001, "notification msg must have correct session type and content type")


async def test_send_1400_needs_notification_account(im):
    oa = {"recvID": "bob", "sessionType": 4, "contentType": 1400,
          "content": {"notificationName": "n", "notificationType": 1, "text": "t"}}
    assert await im.err("/msg/send_msg", {**oa, "sendID": "leckie"}) == (
        1002, "notification messages cannot be sent for this ID")
    assert (await im.err("/msg/send_msg", {**oa, "sendID": "ghost"}))[0] == 1101


async def test_send_to_unknown_user_1004_and_refusing_user_dropped(im, runtime):
    assert (await im.err("/msg/send_msg", single(recv="ghost")))[0] == 1004
    openim_tenant(runtime, im.secret).users["bob"].globalRecvMsgOpt = 1
    r = await im.ok("/msg/send_msg", single())
    assert (r["serverMsgID"], r["clientMsgID"], r["sendTime"]) == ("", "", 0)
    assert await pull(im, "bob", "si_bob_leckie") == []


async def test_group_send_rules(im, runtime):
    gid = await im.group()          # leckie owner, tommy admin, bob member
    assert (await im.err("/msg/send_msg", group_msg("nope")))[0] == 1004
    assert await im.err("/msg/send_msg", group_msg(gid, send="jared")) == (1203, "NotInGroupYetError")
    await im.ok("/msg/send_msg", group_msg(gid, send="imAdmin"))     # admins skip membership
    await im.ok("/group/mute_group_member", {"groupID": gid, "userID": "bob", "mutedSeconds": 60})
    assert await im.err("/msg/send_msg", group_msg(gid)) == (1402, "MutedInGroup")
    await im.ok("/group/cancel_mute_group_member", {"groupID": gid, "userID": "bob"})
    await im.ok("/group/mute_group", {"groupID": gid})
    assert await im.err("/msg/send_msg", group_msg(gid)) == (1403, "MutedGroup")
    await im.ok("/msg/send_msg", group_msg(gid, send="tommy"))       # group admins may talk
    await im.ok("/msg/send_msg", group_msg(gid, send="leckie"))      # the owner is never muted
    await im.ok("/group/cancel_mute_group", {"groupID": gid})
    await im.ok("/group/dismiss_group", {"groupID": gid, "deleteMember": False})
    assert await im.err("/msg/send_msg", group_msg(gid)) == (1204, "DismissedAlreadyError")
    problems = runtime.providers["openim"].backend.check()
    assert problems == []


# --- group notifications (2.12) --------------------------------------------------------------------
async def test_group_api_notifications_in_history(im):
    gid = await im.group(notification="hello all")
    await im.ok("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"]})
    await im.ok("/group/set_group_info_ex", {"groupID": gid, "groupName": "renamed"})
    await im.ok("/group/mute_group_member", {"groupID": gid, "userID": "bob", "mutedSeconds": 5})
    await im.ok("/group/cancel_mute_group_member", {"groupID": gid, "userID": "bob"})
    await im.ok("/group/mute_group", {"groupID": gid})
    await im.ok("/group/cancel_mute_group", {"groupID": gid})
    await im.ok("/msg/send_msg", group_msg(gid))
    await im.ok("/group/kick_group", {"groupID": gid, "kickedUserIDs": ["jared"]})
    await im.ok("/group/quit_group", {"groupID": gid}, as_="bob")
    await im.ok("/group/transfer_group", {"groupID": gid, "oldOwnerUserID": "leckie", "newOwnerUserID": "tommy"})
    await im.ok("/group/dismiss_group", {"groupID": gid})
    msgs = await pull(im, "tommy", f"sg_{gid}")
    assert [m["contentType"] for m in msgs] == [1501, 1519, 1509, 1520, 1512, 1513, 1514, 1515, 101,
                                                1508, 1504, 1507, 1511]
    assert [m["seq"] for m in msgs] == list(range(1, 14))
    assert msgs[0]["sendID"] == "imAdmin" and msgs[0]["groupID"] == gid and msgs[0]["sessionType"] == 3
    tips = json.loads(content_of(msgs[0])["detail"])
    assert tips["group"]["groupID"] == gid and tips["opUser"]["userID"] == "imAdmin"
    assert ("inviterUser" in json.loads(content_of(msgs[2])["detail"])) == (im.version == P16)
    # the kicked user's view stops before the kick notification; bob's before his quit
    assert [m["seq"] for m in await pull(im, "jared", f"sg_{gid}")] == list(range(1, 10))
    assert (await im.ok("/msg/newest_seq", {"userID": "bob"}))["maxSeqs"][f"sg_{gid}"] == 10


async def test_send_message_false_suppresses_in_patch16_only(im):
    data = await im.ok("/group/create_group", {"ownerUserID": "leckie", "memberUserIDs": ["bob"],
                                               "groupInfo": {"groupType": 2}, "sendMessage": False})
    gid = data["groupInfo"]["groupID"]
    await im.ok("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"], "sendMessage": False})
    msgs = await pull(im, "leckie", f"sg_{gid}")
    assert [m["contentType"] for m in msgs] == im.pick([], [1501, 1509])


# --- batch and business notification --------------------------------------------------------------
async def test_batch_send(im, runtime):
    data = await im.ok("/msg/batch_send_msg", {"sendID": "leckie", "sessionType": 1, **TEXT,
                                                "recvIDs": ["bob", "ghost", "tommy"]})
    assert [r["recvID"] for r in data["results"]] == ["bob", "tommy"]
    assert data["failedUserIDs"] == ["ghost"]
    assert len({r["clientMsgID"] for r in data["results"]}) == 1
    assert len({r["serverMsgID"] for r in data["results"]}) == 2
    assert len(await pull(im, "tommy", "si_leckie_tommy")) == 1
    status, body = await im.raw("/msg/batch_send_msg", {"sendID": "leckie", "sessionType": 1, **TEXT,
                                                        "isSendAll": True})
    assert status == 400 and "'RecvIDs'" in body["errDlt"]
    data = await im.ok("/msg/batch_send_msg", {"sendID": "leckie", "sessionType": 1, **TEXT,
                                                "isSendAll": True, "recvIDs": []})
    assert {r["recvID"] for r in data["results"]} == set(openim_tenant(runtime, im.secret).users)
    assert await im.err("/msg/batch_send_msg", {"sendID": "leckie", "sessionType": 1, **TEXT,
                                                 "recvIDs": ["bob"]}, as_="bob") == (
        1002, im.check("only app manager can send message"))


async def test_business_notification_not_stored(im, runtime):
    r = await im.ok("/msg/send_business_notification", {"key": "k", "data": "d", "sendUserID": "leckie",
                                                         "recvUserID": "bob"})
    assert len(r["serverMsgID"]) == 32
    assert (await im.ok("/msg/newest_seq", {"userID": "bob"}))["maxSeqs"] is None
    store = openim_tenant(runtime, im.secret).messages
    [m] = store.get("online:n_bob_leckie").messages()
    assert m.content()["contentType"] == 2001
    assert json.loads(json.loads(m.content()["content"])["detail"]) == {"key": "k", "data": "d"}
    assert await im.err("/msg/send_business_notification", {"sendUserID": "a", "recvUserID": "b"},
                        as_="bob") == (1002, im.check("only app manager can send message"))
    status, body = await im.raw("/msg/send_business_notification", {"recvUserID": "b"})
    assert status == 400 and body["errCode"] == 1001


async def test_online_only_not_in_history(im):
    await im.ok("/msg/send_msg", single(isOnlineOnly=True))
    assert await pull(im, "bob", "si_bob_leckie") == []


# --- revoke -------------------------------------------------------------------------------------------
async def test_revoke_single(im):
    await im.ok("/msg/send_msg", single())
    body = {"conversationID": "si_bob_leckie", "seq": 1, "userID": "bob"}
    assert await im.err("/msg/revoke_msg", body, as_="bob") == (1002, "ownerUserID, leckie=MISSING")
    assert await im.err("/msg/revoke_msg", {**body, "userID": "leckie"}, as_="bob") == (
        1002, "ownerUserID, leckie=MISSING")
    assert await im.err("/msg/revoke_msg", {**body, "seq": 2}) == (1004, "msg not found")
    assert await im.err("/msg/revoke_msg", {**body, "seq": 0}) == (1001, im.check("seq is invalid"))
    assert await im.err("/msg/revoke_msg", {**body, "conversationID": ""}) == (
        1001, im.check("conversationID is empty"))
    await im.ok("/msg/revoke_msg", {**body, "userID": "leckie"}, as_="leckie")
    assert await im.err("/msg/revoke_msg", body) == (1404, "msg already revoke")
    [m] = await pull(im, "bob", "si_bob_leckie")
    assert m["contentType"] == 2101
    assert json.loads(content_of(m)["detail"])["revokerID"] == "leckie"
    [note] = await pull(im, "bob", "n_bob_leckie")
    assert note["contentType"] == 2101 and note["seq"] == 1
    found = await im.ok("/msg/search_msg", {"sendID": "leckie", "pagination": PAGE})
    assert found["chatLogs"][0]["isRevoked"] is True and found["chatLogs"][0]["chatLog"]["contentType"] == 101


async def test_revoke_group_roles(im):
    gid = await im.group(members=("bob", "jared"))
    for sender in ("bob", "tommy", "jared"):
        await im.ok("/msg/send_msg", group_msg(gid, send=sender))
    cid = f"sg_{gid}"
    # seq 1 is the 1501 notification; 2 bob, 3 tommy (admin), 4 jared
    assert await im.err("/msg/revoke_msg", {"conversationID": cid, "seq": 2, "userID": "jared"},
                        as_="jared") == (1002, "no permission")
    # an ordinary member may not revoke the admin's message; the admin may not revoke the owner's
    assert await im.err("/msg/revoke_msg", {"conversationID": cid, "seq": 3, "userID": "jared"},
                        as_="jared") == (1002, "no permission")
    await im.ok("/msg/revoke_msg", {"conversationID": cid, "seq": 2, "userID": "tommy"}, as_="tommy")
    await im.ok("/msg/revoke_msg", {"conversationID": cid, "seq": 4, "userID": "jared"}, as_="jared")
    await im.ok("/msg/send_msg", group_msg(gid, send="bob"))
    await im.ok("/group/kick_group", {"groupID": gid, "kickedUserIDs": ["bob"]})
    # a group admin revoking a former member's message: patch.16 allows it, v3.8.3 panics (2.8)
    body = await im.body("/msg/revoke_msg", {"conversationID": cid, "seq": 5, "userID": "tommy"}, as_="tommy")
    assert body["errCode"] == im.pick(0, 500)


# --- reads, read state, delete ----------------------------------------------------------------------
async def test_search_msg(im):
    gid = await im.group(groupName="G1", faceURL="http://g/face")
    await im.ok("/msg/send_msg", single())
    await im.ok("/msg/send_msg", group_msg(gid))
    data = await im.ok("/msg/search_msg", {"recvID": gid, "pagination": PAGE})
    logs = [c["chatLog"] for c in data["chatLogs"]]
    assert [c["contentType"] for c in logs] == [1501, 101]
    assert logs[1]["groupName"] == "G1" and logs[1]["senderFaceURL"] == "http://g/face"
    assert logs[1]["content"] == '{"content":"hi"}' and logs[1]["groupMemberCount"] == 3
    data = await im.ok("/msg/search_msg", {"sendID": "leckie", "sessionType": 1, "pagination": PAGE})
    assert data["chatLogsNum"] == 1 and data["chatLogs"][0]["chatLog"]["recvID"] == "bob"
    assert (await im.ok("/msg/search_msg", {"sendID": "leckie"}))["chatLogs"] is None
    code, dlt = await im.err("/msg/search_msg", {"sendTime": "14/01/2025", "pagination": PAGE})
    assert code == 1001 and dlt.startswith("invalid sendTime, req=14/01/2025, format=2006-01-02")


async def test_read_state(im):
    for _ in range(3):
        await im.ok("/msg/send_msg", single())
    cid = "si_bob_leckie"
    assert await im.err("/msg/mark_msgs_as_read", {"conversationID": cid, "seqs": [4], "userID": "bob"}) == (
        1001, "hasReadSeq must not be bigger than maxSeq")
    assert await im.err("/msg/mark_msgs_as_read", {"conversationID": cid, "seqs": None, "userID": "bob"}) == (
        1001, im.check("seqs is empty"))
    assert await im.err("/msg/mark_msgs_as_read", {"conversationID": cid, "seqs": [0], "userID": "bob"}) == (
        1001, im.check("seqs has 0 value is invalid"))
    assert (await im.err("/msg/mark_msgs_as_read", {"conversationID": cid, "seqs": [1], "userID": "jared"}))[0] == 1004
    await im.ok("/msg/mark_msgs_as_read", {"conversationID": cid, "seqs": [2, 1], "userID": "bob"}, as_="bob")
    rs = await im.ok("/msg/get_conversations_has_read_and_max_seq", {"userID": "bob"})
    assert rs["seqs"][cid]["hasReadSeq"] == 1 and rs["seqs"][cid]["maxSeq"] == 3
    msgs = await pull(im, "bob", cid)
    assert [m["isRead"] for m in msgs] == [True, True, False]
    [receipt] = await pull(im, "leckie", "n_bob_leckie")
    assert receipt["contentType"] == 2200 and receipt["recvID"] == "leckie"
    await im.ok("/msg/set_conversation_has_read_seq", {"conversationID": cid, "userID": "bob", "hasReadSeq": 3})
    rs = await im.ok("/msg/get_conversations_has_read_and_max_seq", {"userID": "bob", "conversationIDs": [cid]})
    assert rs["seqs"][cid]["hasReadSeq"] == 3
    assert await im.err("/msg/set_conversation_has_read_seq", {"conversationID": cid, "userID": "bob",
                                                               "hasReadSeq": 9}) == (
        1001, "hasReadSeq must not be bigger than maxSeq")
    assert await im.err("/msg/set_conversation_has_read_seq", {"conversationID": cid, "userID": "bob",
                                                               "hasReadSeq": 0}) == (
        1001, im.check("hasReadSeq is invalid"))


async def test_newest_seq_self_or_admin(im):
    assert await im.err("/msg/newest_seq", {"userID": "bob"}, as_="leckie") == (1002, "ownerUserID, bob=MISSING")
    await im.ok("/msg/newest_seq", {"userID": "bob"}, as_="bob")


async def test_pull_window_order_and_delete(im):
    for i in range(5):
        await im.ok("/msg/send_msg", single(content={"content": str(i)}))
    cid = "si_bob_leckie"
    assert [m["seq"] for m in await pull(im, "bob", cid, num=2)] == [4, 5]
    assert [m["seq"] for m in await pull(im, "bob", cid, order=1)] == [5, 4, 3, 2, 1]
    assert await pull(im, "jared", cid) == []         # no conversation row: skipped silently
    await im.ok("/msg/delete_msg_phsical_by_seq", {"conversationID": cid, "seqs": [2]}, as_="jared")
    msgs = await pull(im, "bob", cid)
    assert msgs[1] == {"seq": 2, "status": 4, "content": ""}
    assert (await im.ok("/msg/get_server_time", {}))["serverTime"] > 0


# --- state, fixture ----------------------------------------------------------------------------------
async def test_dump_load_reset_and_check(im, client):
    gid = await im.group()
    await im.ok("/msg/send_msg", group_msg(gid))
    await im.ok("/msg/send_msg", single())
    await im.ok("/group/kick_group", {"groupID": gid, "kickedUserIDs": ["bob"]})
    dump = await (await client.get("/_emulator/state", params={"provider": "openim"})).json()
    resp = await client.put("/_emulator/state", json=dump)
    assert resp.status == 200, await resp.text()
    again = await (await client.get("/_emulator/state", params={"provider": "openim"})).json()
    assert again == dump
    assert (await client.get("/_emulator/state/check")).status == 200
    assert [m["seq"] for m in await pull(im, "bob", f"sg_{gid}")] == [1, 2]   # capped after the kick
    rows = await (await client.get("/_emulator/messages", params={"provider": "openim", "user": "bob"})).json()
    assert {r["conversation"] for r in rows["messages"]} >= {"si_bob_leckie"}
    await client.post("/_emulator/reset")
    assert await pull(im, "bob", "si_bob_leckie") == []


async def test_check_finds_non_member_message(im, runtime):
    gid = await im.group()
    t = openim_tenant(runtime, im.secret)
    conv = t.messages.conversation(f"sg_{gid}", "group")
    t.messages.append(conv, "jared", {"contentType": 101}, 0.0)
    assert any("from non-member jared" in p for p in runtime.providers["openim"].backend.check())


async def test_scenario_seeds_messages(client):
    scenario = {"openim": {"tenants": [{"id": "s", "secret": "sx", "users": [{"userID": "a"}, {"userID": "b"}],
                                        "messages": {"conversations": [{"id": "si_a_b", "kind": "si", "users": ["a", "b"],
                                                                        "messages": [{"from": "a", "time": 1.0, "body": {
                                                                            "sendID": "a", "recvID": "b", "groupID": "",
                                                                            "contentType": 101, "content": "{}", "sendTime": 1000,
                                                                            "senderNickname": "", "sessionType": 1,
                                                                            "clientMsgID": "c", "serverMsgID": "s"}}]}]}}]}}
    resp = await client.post("/_emulator/scenario", json=scenario)
    assert resp.status == 200, await resp.text()
    rows = await (await client.get("/_emulator/messages", params={"provider": "openim", "conversation": "si_a_b"})).json()
    assert rows["total"] == 1


async def test_inbox_of_a_member(im, client):
    gid = await im.group()
    await im.ok("/msg/send_msg", group_msg(gid))
    await im.ok("/msg/send_msg", single(send="tommy", recv="jared"))
    resp = await client.get("/_emulator/messages", params={"provider": "openim", "tenant": await _tid(client, im),
                                                           "user": "bob"})
    rows = (await resp.json())["messages"]
    assert [(r["conversation"], r["seq"]) for r in rows] == [(f"sg_{gid}", 1), (f"sg_{gid}", 2)]


async def _tid(client, im) -> str:
    state = await (await client.get("/_emulator/state", params={"provider": "openim"})).json()
    return next(k for k, v in state["openim"].items() if v["secret"] == im.secret)


# --- clearing and deleting (2.10) -------------------------------------------------------------------
async def test_clear_conversation_for_self_and_everybody(im):
    for _ in range(3):
        await im.ok("/msg/send_msg", single())
    cid = "si_bob_leckie"
    assert await im.err("/msg/clear_conversation_msg", {"conversationIDs": None, "userID": "bob"}) == (
        1001, im.check("conversationIDs is empty"))
    assert await im.err("/msg/clear_conversation_msg", {"conversationIDs": [cid], "userID": "bob"}, as_="leckie") == (
        1002, "ownerUserID, bob=MISSING")
    await im.ok("/msg/clear_conversation_msg", {"conversationIDs": [cid, "si_x_y"], "userID": "bob",
                                                "deleteSyncOpt": {"IsSyncSelf": True, "IsSyncOther": False}}, as_="bob")
    assert await pull(im, "bob", cid) == []
    assert len(await pull(im, "leckie", cid)) == 3
    rs = await im.ok("/msg/get_conversations_has_read_and_max_seq", {"userID": "bob", "conversationIDs": [cid]})
    assert rs["seqs"][cid]["hasReadSeq"] == 3
    await im.ok("/msg/send_msg", single())
    assert [m["seq"] for m in await pull(im, "bob", cid)] == [4]
    await im.ok("/msg/user_clear_all_msg", {"userID": "leckie", "deleteSyncOpt": {"IsSyncOther": True}})
    assert await pull(im, "bob", cid) == [] and await pull(im, "leckie", cid) == []
    assert await im.err("/msg/user_clear_all_msg", {"userID": ""}) == (1001, im.check("userID is empty"))


async def test_delete_msgs_for_self_and_everybody(im):
    for _ in range(3):
        await im.ok("/msg/send_msg", single())
    cid = "si_bob_leckie"
    assert await im.err("/msg/delete_msgs", {"conversationID": cid, "seqs": None, "userID": "bob"}) == (
        1001, im.check("seqs is empty"))
    await im.ok("/msg/delete_msgs", {"conversationID": cid, "seqs": [1], "userID": "bob"}, as_="bob")
    assert [m.get("status") for m in await pull(im, "bob", cid)] == [4, 0, 0]
    assert [m.get("status") for m in await pull(im, "leckie", cid)] == [0, 0, 0]
    await im.ok("/msg/delete_msgs", {"conversationID": cid, "seqs": [2], "userID": "bob",
                                     "deleteSyncOpt": {"IsSyncOther": True}}, as_="bob")
    assert [m.get("status") for m in await pull(im, "leckie", cid)] == [0, 4, 0]
    [note] = await pull(im, "leckie", "n_bob_leckie")
    assert note["contentType"] == 2102 and note["recvID"] == "leckie"


async def test_mark_conversation_as_read(im):
    for _ in range(3):
        await im.ok("/msg/send_msg", single())
    cid = "si_bob_leckie"
    assert await im.err("/msg/mark_conversation_as_read", {"conversationID": cid, "userID": "bob",
                                                           "hasReadSeq": 0}) == (1001, im.check("hasReadSeq is invalid"))
    assert (await im.err("/msg/mark_conversation_as_read", {"conversationID": cid, "userID": "jared",
                                                            "hasReadSeq": 1}))[0] == 1004
    await im.ok("/msg/mark_conversation_as_read", {"conversationID": cid, "userID": "bob", "hasReadSeq": 2, "seqs": [3]})
    assert [m["isRead"] for m in await pull(im, "bob", cid)] == [True, True, True]
    rs = await im.ok("/msg/get_conversations_has_read_and_max_seq", {"userID": "bob", "conversationIDs": [cid]})
    assert rs["seqs"][cid]["hasReadSeq"] == 2
    gid = await im.group()
    await im.ok("/msg/mark_conversation_as_read", {"conversationID": f"sg_{gid}", "userID": "bob", "hasReadSeq": 1})
    rs = await im.ok("/msg/get_conversations_has_read_and_max_seq", {"userID": "bob", "conversationIDs": [f"sg_{gid}"]})
    assert rs["seqs"][f"sg_{gid}"]["hasReadSeq"] == 1


async def test_delete_msg_physical_admin_only_and_deletes_nothing(im):
    await im.ok("/msg/send_msg", single())
    assert await im.err("/msg/delete_msg_physical", {"conversationIDs": ["si_bob_leckie"], "timestamp": 1},
                        as_="bob") == (1002, "user bob is not admin userID")
    assert await im.err("/msg/delete_msg_physical", {"conversationIDs": None}) == (
        1001, im.check("conversationIDs is empty"))
    await im.ok("/msg/delete_msg_physical", {"conversationIDs": ["si_bob_leckie"], "timestamp": 1})
    assert len(await pull(im, "bob", "si_bob_leckie")) == 1


async def test_check_msg_is_send_success_by_operation_id(im, client, runtime):
    from tests.openim_support import openim_call
    _, body = await openim_call(client, "/msg/send_msg", single(), token=im.admin, operation_id="send-1")
    assert body["errCode"] == 0
    _, body = await openim_call(client, "/msg/send_msg", single(recv="ghost"), token=im.admin, operation_id="send-2")
    assert body["errCode"] == 1004
    for op_id, status in (("send-1", 2), ("send-2", 0), ("never", 0)):
        _, body = await openim_call(client, "/msg/check_msg_is_send_success", {}, token=im.admin, operation_id=op_id)
        assert body["data"] == {"status": status}, op_id
    from emulator.providers.openim import models_messages as mm
    t = openim_tenant(runtime, im.secret)
    for i in range(mm.SEND_STATUS_MAX):
        mm.record_send_status(t, f"x{i}")
    assert "send-1" not in t.send_status and t.send_status_dropped == 1


async def test_check_finds_per_user_state_outside_the_log(im, runtime):
    await im.ok("/msg/send_msg", single())
    await im.ok("/msg/delete_msgs", {"conversationID": "si_bob_leckie", "seqs": [1], "userID": "bob"})
    backend = runtime.providers["openim"].backend
    assert backend.check() == []
    t = openim_tenant(runtime, im.secret)
    t.msg_hidden["bob\x00si_bob_leckie"] = [1, 7]
    t.msg_mins["\x00si_gone"] = 3
    problems = backend.check()
    assert any("hidden seqs" in p for p in problems) and any("minSeq" in p for p in problems)
