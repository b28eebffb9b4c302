"""OpenIM webhooks the server fires that the emulator used to skip, in both version profiles
(openim-users-messages-webhooks.md §2.5, §2.9, §2.12, §4.6-§4.7):

- batch_send_msg runs SendMsg per recipient: beforeSendSingleMsg (and beforeMsgModify for text)
  per recipient, a refusal or failure puts only that recipient in failedUserIDs (errCode 0);
- group notifications (15xx, a group's 2101) ask beforeSendGroupMsg: a refusing or failing hook
  drops only that notification, the group call succeeds; afterSendGroupMsg for the ones stored;
- afterSingleMsgRead / afterGroupMsgRead from mark_msgs_as_read and mark_conversation_as_read,
  with the server's bodies, and afterSendSingleMsg for the stored 2200 read receipt.
"""

from __future__ import annotations

import base64

import pytest

from emulator.app import RUNTIME, create_app
from emulator.settings import Settings
from tests.callback_support import configure, deliveries, settle
from tests.openim_support import get_admin_token, openim_call
from tests.test_callbacks_openim_messages import pull, setup, tid
from tests.test_openim_versions import IM, P16, V383, im, settings, version  # noqa: F401 (fixtures)

SINGLE, GROUP = "callbackBeforeSendSingleMsgCommand", "callbackBeforeSendGroupMsgCommand"
AFTER_SINGLE, AFTER_GROUP = "callbackAfterSendSingleMsgCommand", "callbackAfterSendGroupMsgCommand"
MODIFY = "callbackBeforeMsgModifyCommand"
SINGLE_READ, GROUP_READ = "callbackAfterSingleMsgReadCommand", "callbackAfterGroupMsgReadCommand"
REFUSE = {"actionCode": 0, "errCode": 5006, "errMsg": "not you", "errDlt": "", "nextCode": 1}
ACCEPT = {"actionCode": 0, "errCode": 0, "errMsg": "", "errDlt": "", "nextCode": 0}


def batch(recvs, **extra):
    return {"sendID": "leckie", "recvIDs": list(recvs), "isSendAll": False, "sessionType": 1,
            "contentType": 101, "content": {"content": "hi"}, **extra}


# --- batch_send_msg ------------------------------------------------------------------------------
async def test_batch_asks_before_hooks_per_recipient(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {"beforeSendSingleMsg": {}, "beforeMsgModify": {},
                                                "afterSendSingleMsg": {}})
    # tommy's send is refused, jared's hook answers something that is not JSON (90007): both
    # land in failedUserIDs, bob's message goes out, the reply is errCode 0
    receiver.reply(SINGLE, lambda b: REFUSE if b["recvID"] == "tommy" else
                   ("<html>502</html>" if b["recvID"] == "jared" else ACCEPT))
    receiver.override(MODIFY, content='{"content":"checked"}')
    status, body = await im.raw("/msg/batch_send_msg", batch(["bob", "tommy", "jared"]))
    assert body["errCode"] == 0, body
    data = body["data"]
    assert data["failedUserIDs"] == ["tommy", "jared"]
    [res] = data["results"]
    assert res["recvID"] == "bob"
    await settle(client, 1, command=AFTER_SINGLE)
    assert receiver.commands() == [SINGLE, MODIFY, SINGLE, SINGLE, AFTER_SINGLE]
    asked = [r["body"] for r in receiver.received if r["command"] == SINGLE]
    assert [b["recvID"] for b in asked] == ["bob", "tommy", "jared"]
    # one clientMsgID for every recipient (§2.5); serverMsgIDs per message, bob's as replied
    assert {b["clientMsgID"] for b in asked} == {res["clientMsgID"]}
    assert len({b["serverMsgID"] for b in asked}) == 3 and asked[0]["serverMsgID"] == res["serverMsgID"]
    [m] = await pull(im, "bob", "si_bob_leckie")
    assert base64.b64decode(m["content"]).decode() == '{"content":"checked"}'
    assert await pull(im, "tommy", "si_leckie_tommy") == []
    assert await pull(im, "jared", "si_jared_leckie") == []
    after = receiver.received[-1]["body"]
    assert after["recvID"] == "bob" and after["content"] == '{"content":"checked"}'


async def test_batch_network_failure_and_admin_sender(client, runtime, im, receiver):
    await configure(client, "openim", tid(runtime, im), "http://127.0.0.1:9/cb",
                    hooks={"beforeSendSingleMsg": {"enable": True}})
    body = await im.body("/msg/batch_send_msg", batch(["bob", "tommy"]))
    assert body["errCode"] == 0 and body["data"]["failedUserIDs"] == ["bob", "tommy"]
    assert body["data"]["results"] is None or body["data"]["results"] == []
    assert [d["outcome"] for d in await deliveries(client, command=SINGLE)] == ["refused", "refused"]
    # an admin sendID skips beforeSendSingleMsg, so nothing is asked and both are sent
    data = await im.ok("/msg/batch_send_msg", batch(["bob", "tommy"], sendID="imAdmin"))
    assert data["failedUserIDs"] in (None, []) and len(data["results"]) == 2
    assert len(await deliveries(client, command=SINGLE)) == 2


async def test_batch_without_before_hooks_asks_nothing(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {"afterSendSingleMsg": {}})
    data = await im.ok("/msg/batch_send_msg", batch(["bob", "tommy", "ghost"]))
    assert data["failedUserIDs"] == ["ghost"] and [r["recvID"] for r in data["results"]] == ["bob", "tommy"]
    await settle(client, 2, command=AFTER_SINGLE)
    assert receiver.commands() == [AFTER_SINGLE, AFTER_SINGLE]


# --- group notifications and beforeSendGroupMsg ----------------------------------------------------
async def test_group_notifications_ask_before_send_group_msg(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {"beforeSendGroupMsg": {}, "afterSendGroupMsg": {}})
    gid = await im.group()
    await settle(client, 1, command=AFTER_GROUP)
    assert receiver.commands() == [GROUP, AFTER_GROUP]
    before = receiver.received[0]["body"]
    assert (before["contentType"], before["groupID"], before["sessionType"], before["content"],
            before["seq"]) == (1501, gid, 3, "", 0)
    [created] = await pull(im, "leckie", "sg_" + gid)
    assert created["seq"] == 1 and created["serverMsgID"] == before["serverMsgID"]
    # a refused notification is dropped silently: the invite takes effect, nothing is stored,
    # no afterSendGroupMsg; the next notification takes the next seq (no gap)
    receiver.reply(GROUP, lambda b: REFUSE if b["contentType"] == 1509 else ACCEPT)
    await im.ok("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"], "reason": ""})
    await runtime.callbacks.settled()      # notifications are asked after the reply
    assert "jared" in await im.member_ids(gid)
    await im.ok("/group/kick_group", {"groupID": gid, "kickedUserIDs": ["jared"], "reason": ""})
    await runtime.callbacks.settled()      # notifications are asked after the reply
    assert "jared" not in await im.member_ids(gid)
    await settle(client, 2, command=AFTER_GROUP)
    cts = [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)]
    assert cts == [1501, 1508]
    assert [r["body"]["contentType"] for r in receiver.received if r["command"] == GROUP] == [1501, 1509, 1508]
    assert [r["body"]["contentType"] for r in await deliveries(client, command=AFTER_GROUP)] == [1501, 1508]
    [refused] = [d for d in await deliveries(client, command=GROUP) if d["outcome"] == "refused"]
    assert refused["body"]["contentType"] == 1509
    # a failing hook (receiver down) drops the notification too; the call still succeeds
    await configure(client, "openim", tid(runtime, im), "http://127.0.0.1:9/cb",
                    hooks={"beforeSendGroupMsg": {"enable": True}})
    await im.ok("/group/mute_group", {"groupID": gid})
    await runtime.callbacks.settled()      # notifications are asked after the reply
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)] == [1501, 1508]
    resp = await client.get("/_emulator/state/check")
    assert resp.status == 200, await resp.text()


async def test_group_notification_type_filter_and_revoke(client, runtime, im, receiver):
    gid = await im.group()
    await setup(client, runtime, im, receiver, {"beforeSendGroupMsg": {"deniedTypes": ["1500-1599"]}})
    await im.ok("/group/mute_group", {"groupID": gid})          # 1514 filtered out: not asked
    assert receiver.commands() == []
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)] == [1501, 1514]
    # a group's revoke notification 2101 (sessionType 3) asks it too; refused, it is not stored
    # in the n_ twin, the revoke itself takes effect
    await im.ok("/group/cancel_mute_group", {"groupID": gid})
    await im.ok("/msg/send_msg", {"sendID": "leckie", "groupID": gid, "sessionType": 3,
                                  "contentType": 101, "content": {"content": "x"}})
    receiver.refuse(GROUP, 5007, "no")
    await im.ok("/msg/revoke_msg", {"conversationID": "sg_" + gid, "seq": 4, "userID": "leckie"})
    await runtime.callbacks.settled()      # notifications are asked after the reply
    assert [r["body"]["contentType"] for r in receiver.received] == [101, 2101]
    msgs = await pull(im, "leckie", "sg_" + gid)
    assert msgs[-1]["contentType"] == 2101                     # shown revoked
    data = await im.ok("/msg/newest_seq", {"userID": "leckie"})
    assert ("n_" + gid) not in (data["maxSeqs"] or {})


@pytest.mark.parametrize("late_cap", [None, 0])     # asked after the reply, or (cap reached) before
async def test_dropped_notification_replays_the_same(aiohttp_client, tmp_path, receiver, monkeypatch, late_cap):
    if late_cap is not None:
        import emulator.core.callbacks as core
        monkeypatch.setattr(core, "LATER_CAP", late_cap)
    settings = Settings(port=0, data_dir=tmp_path / "data")
    client = await aiohttp_client(create_app(settings))
    rt = client.app[RUNTIME]
    await configure(client, "openim", "default", receiver.url, hooks={k: {"enable": True} for k in (
        "beforeCreateGroup", "beforeSendGroupMsg", "afterSendGroupMsg")})
    receiver.reply(GROUP, lambda b: REFUSE if b["contentType"] == 1519 else ACCEPT)
    token = await get_admin_token(client)
    _, body = await openim_call(client, "/group/create_group", {
        "ownerUserID": "leckie", "memberUserIDs": ["bob"],
        "groupInfo": {"groupType": 2, "groupName": "g", "notification": "hello"}}, token=token)
    assert body["errCode"] == 0, body
    gid = body["data"]["groupInfo"]["groupID"]
    _, body = await openim_call(client, "/group/transfer_group", {
        "groupID": gid, "oldOwnerUserID": "leckie", "newOwnerUserID": "bob"}, token=token)
    assert body["errCode"] == 0, body
    await rt.callbacks.settled()        # the notifications are asked after the reply
    conv = rt.providers["openim"].backend.tenants["default"].messages.get("sg_" + gid)
    assert [m.content()["contentType"] for m in conv.messages()] == [1501, 1507]   # 1519 refused
    expected = rt.dump_state()
    sent = len(receiver.received)

    rt.store.close_quietly()            # what a kill -9 leaves: the log only
    again = create_app(settings)[RUNTIME]
    assert again.store.diverged == 0
    assert again.dump_state() == expected
    assert len(receiver.received) == sent


# --- read hooks ------------------------------------------------------------------------------------
async def test_read_hooks_bodies(client, runtime, im, receiver):
    gid = await im.group()
    for _ in range(3):
        await im.ok("/msg/send_msg", {"sendID": "leckie", "recvID": "bob", "sessionType": 1,
                                      "contentType": 101, "content": {"content": "hi"}})
    await im.ok("/msg/send_msg", {"sendID": "leckie", "groupID": gid, "sessionType": 3,
                                  "contentType": 101, "content": {"content": "hi"}})
    await setup(client, runtime, im, receiver, {"afterSingleMsgRead": {}, "afterGroupMsgRead": {},
                                                "afterSendSingleMsg": {}})
    await im.ok("/msg/mark_msgs_as_read", {"conversationID": "si_bob_leckie", "seqs": [2, 1], "userID": "bob"})
    await settle(client, 1, command=AFTER_SINGLE)
    assert receiver.commands() == [SINGLE_READ, AFTER_SINGLE]       # the hook, then the 2200
    read, receipt = (r["body"] for r in receiver.received)
    assert read == {"callbackCommand": SINGLE_READ, "conversationID": "si_bob_leckie", "userID": "bob",
                    "Seqs": [2, 1], "contentType": 1}
    assert (receipt["contentType"], receipt["sendID"], receipt["recvID"]) == (2200, "bob", "leckie")
    # mark_conversation_as_read: single chat after its 2200, Seqs the request's (null when absent)
    await im.ok("/msg/mark_conversation_as_read", {"conversationID": "si_bob_leckie", "userID": "bob",
                                                   "hasReadSeq": 3})
    await settle(client, 2, command=AFTER_SINGLE)
    await settle(client, 2, command=SINGLE_READ)
    assert receiver.commands()[2:] == [AFTER_SINGLE, SINGLE_READ]
    assert receiver.received[3]["body"] == {"callbackCommand": SINGLE_READ, "conversationID": "si_bob_leckie",
                                            "userID": "bob", "Seqs": None, "contentType": 1}
    # a group: afterGroupMsgRead with unreadMsgNum = the hasReadSeq sent; the 2200 goes to the
    # reader itself (not stored, sender = receiver) but afterSendSingleMsg still sees it
    await im.ok("/msg/mark_conversation_as_read", {"conversationID": "sg_" + gid, "userID": "bob",
                                                   "hasReadSeq": 2, "seqs": [2]})
    [grp] = await settle(client, 1, command=GROUP_READ)
    assert grp["body"] == {"callbackCommand": GROUP_READ, "sendID": "bob", "receiveID": "bob",
                           "unreadMsgNum": 2, "contentType": 3}
    rows = await settle(client, 3, command=AFTER_SINGLE)
    assert [(r["body"]["contentType"], r["body"]["sendID"], r["body"]["recvID"]) for r in rows[2:]] == [
        (2200, "bob", "bob")]
    data = await im.ok("/msg/newest_seq", {"userID": "bob"})
    assert "n_bob_bob" not in (data["maxSeqs"] or {})
    # mark_msgs_as_read fires afterSingleMsgRead for any conversation type (contentType 3 here)
    await im.ok("/msg/mark_msgs_as_read", {"conversationID": "sg_" + gid, "seqs": [2], "userID": "tommy"})
    rows = await settle(client, 3, command=SINGLE_READ)
    assert rows[-1]["body"] == {"callbackCommand": SINGLE_READ, "conversationID": "sg_" + gid,
                                "userID": "tommy", "Seqs": [2], "contentType": 3}
    assert len(await deliveries(client, command=AFTER_SINGLE)) == 3   # no 2200 for mark_msgs_as_read on a group


async def test_join_quirk_still_sends_the_notification(client, runtime, im, receiver):
    """patch.16 as tagged answers 1001 after a direct join (§0.4) but the MemberEnter notification
    is queued before that: it still asks beforeSendGroupMsg and is stored when let through."""
    gid = await im.group(needVerification=2)
    await im.set_settings(runtime, quirk_join_max_seq_invalid=True)
    await setup(client, runtime, im, receiver, {"beforeSendGroupMsg": {}, "afterSendGroupMsg": {},
                                                "afterJoinGroup": {}})
    status, body = await im.raw("/group/join_group", {"groupID": gid, "inviterUserID": "jared",
                                                      "joinSource": 3, "reqMessage": ""}, as_="jared")
    assert (body["errCode"], body["errDlt"]) == (1001, "maxSeq is invalid")
    await settle(client, 1, command=AFTER_GROUP)
    # the notification's hooks, not afterJoinGroup (it comes after the failing call, §0.4)
    assert receiver.commands() == [GROUP, AFTER_GROUP]
    assert receiver.received[0]["body"]["contentType"] == 1510
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)] == [1501, 1510]
    # without beforeSendGroupMsg the notification is stored at once; its after hook goes too
    await setup(client, runtime, im, receiver, {"afterSendGroupMsg": {}})
    await im.ok("/group/quit_group", {"groupID": gid, "userID": "jared"})           # 1504
    status, body = await im.raw("/group/join_group", {"groupID": gid, "inviterUserID": "jared",
                                                      "joinSource": 3, "reqMessage": ""}, as_="jared")
    assert body["errCode"] == 1001 and "jared" in await im.member_ids(gid)
    rows = await settle(client, 3, command=AFTER_GROUP)
    assert rows[-1]["body"]["contentType"] == 1510


async def test_push_only_group_notifications_fire_group_msg_hooks(client, runtime, im, receiver):
    """1502, 1516-1518 (and, at patch.16, 1519 for a cleared announcement and every notification
    whose copy sendMessage:false suppresses) are pushed without a stored copy (§2.12); they go
    through the group send path all the same, so the group-msg hooks see them (§4.7)."""
    gid = await im.group()
    await setup(client, runtime, im, receiver, {"beforeSendGroupMsg": {}, "afterSendGroupMsg": {}})
    receiver.reply(GROUP, lambda b: REFUSE if b["contentType"] == 1517 else ACCEPT)
    await im.ok("/group/set_group_info_ex", {"groupID": gid, "introduction": "i", "notification": ""})
    await runtime.callbacks.settled()      # notifications are asked after the reply
    await im.ok("/group/set_group_member_info", {"members": [
        {"groupID": gid, "userID": "bob", "roleLevel": 60, "nickname": "B"}]})
    await runtime.callbacks.settled()
    await im.ok("/group/set_group_info", {"groupInfoForSet": {"groupID": gid, "groupName": "n2"}})
    await runtime.callbacks.settled()      # notifications are asked after the reply
    cleared = [1519] if im.version == P16 else []     # v3.8.3 sends nothing for a cleared announcement
    asked = cleared + [1502, 1517, 1516, 1520]
    after = cleared + [1502, 1516, 1520]               # 1517 refused: no afterSendGroupMsg
    rows = await settle(client, len(after), command=AFTER_GROUP)
    assert [r["body"]["contentType"] for r in receiver.received if r["command"] == GROUP] == asked
    assert [r["body"]["contentType"] for r in rows] == after
    b1502 = next(r["body"] for r in rows if r["body"]["contentType"] == 1502)
    assert (b1502["groupID"], b1502["sendID"], b1502["content"]) == (gid, "imAdmin", "")
    # only the name change keeps a copy in the group's history
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)] == [1501, 1520]
    # patch.16: sendMessage false drops the stored copy, not the notification
    await im.ok("/group/kick_group", {"groupID": gid, "kickedUserIDs": ["bob"], "reason": "",
                                      "sendMessage": False})
    await runtime.callbacks.settled()
    rows = await settle(client, len(after) + 1, command=AFTER_GROUP)
    assert rows[-1]["body"]["contentType"] == 1508
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)] == (
        [1501, 1520] if im.version == P16 else [1501, 1520, 1508])


async def test_push_only_notifications_cost_nothing_without_hooks(client, runtime, im, receiver):
    """Without a group-msg hook the push-only notifications are not even built: no id of the
    tenant's sequence is used up (so ids come out as with no callback configuration at all)."""
    from tests.openim_support import openim_tenant
    await setup(client, runtime, im, receiver, {"afterSetGroupInfoEx": {}, "afterSendSingleMsg": {}})
    gid = await im.group()
    t = openim_tenant(runtime, im.secret)
    seq = t.id_seq
    await im.ok("/group/set_group_info_ex", {"groupID": gid, "introduction": "i"})          # 1502
    await im.ok("/group/set_group_member_info", {"members": [{"groupID": gid, "userID": "bob", "ex": "e"}]})
    assert t.id_seq == seq
    await setup(client, runtime, im, receiver, {"afterSendGroupMsg": {}})
    await im.ok("/group/set_group_info_ex", {"groupID": gid, "introduction": "j"})
    assert t.id_seq == seq + 2          # clientMsgID and serverMsgID of the pushed 1502


async def test_single_send_hook_comes_before_the_recipient_checks(client, runtime, im, receiver):
    """§2.3: beforeSendSingleMsg (step 2) is asked before the recipient is looked at (step 6):
    an unknown recipient still asks it (its refusal wins over 1004), a recipient who refuses all
    messages drops the send after it, before beforeMsgModify (step 7)."""
    await im.ok("/user/update_user_info", {"userInfo": {"userID": "tommy", "globalRecvMsgOpt": 1}})
    await setup(client, runtime, im, receiver, {"beforeSendSingleMsg": {}, "beforeMsgModify": {}})
    msg = {"sendID": "leckie", "sessionType": 1, "contentType": 101, "content": {"content": "hi"}}
    data = await im.ok("/msg/send_msg", {**msg, "recvID": "tommy"})
    assert (data["serverMsgID"], data["clientMsgID"], data["sendTime"]) == ("", "", 0)
    assert receiver.commands() == [SINGLE] and receiver.received[0]["body"]["recvID"] == "tommy"
    assert (await im.body("/msg/send_msg", {**msg, "recvID": "ghost"}))["errCode"] == 1004
    assert receiver.commands() == [SINGLE, SINGLE]
    receiver.refuse(SINGLE, 5008, "who")
    assert (await im.body("/msg/send_msg", {**msg, "recvID": "ghost"}))["errCode"] == 5008


async def test_join_application_notifications_fire_after_send_single(client, runtime, im, receiver):
    """join_group needing approval pushes 1503 to the owner, the admins, the inviter and the op;
    group_application_response pushes 1505 (agree) / 1506 (refuse) to the owner, the admins and
    the applicant (§2.12). They are single-chat sends nothing stores: afterSendSingleMsg only
    (beforeSendSingleMsg skips 1000-5000, §4.6)."""
    gid = await im.group()                                   # needVerification 0: joins need approval
    await setup(client, runtime, im, receiver, {"afterSendSingleMsg": {}, "beforeSendSingleMsg": {}})
    await im.ok("/group/join_group", {"groupID": gid, "inviterUserID": "jared", "joinSource": 3,
                                      "reqMessage": "let me in"}, as_="jared")
    rows = await settle(client, 3, command=AFTER_SINGLE)
    assert [(r["body"]["contentType"], r["body"]["sendID"], r["body"]["recvID"]) for r in rows] == [
        (1503, "jared", "leckie"), (1503, "jared", "tommy"), (1503, "jared", "jared")]
    assert rows[0]["body"]["content"] == "" and rows[0]["body"]["sessionType"] == 1
    await im.ok("/group/group_application_response", {"groupID": gid, "fromUserID": "jared",
                                                      "handledMsg": "ok", "handleResult": 1})
    rows = await settle(client, 6, command=AFTER_SINGLE)
    assert [(r["body"]["contentType"], r["body"]["recvID"]) for r in rows[3:]] == [
        (1505, "leckie"), (1505, "tommy"), (1505, "jared")]
    assert "jared" in await im.member_ids(gid)
    assert receiver.commands().count(SINGLE) == 0
    # nothing of it is stored
    for user, cid in (("leckie", "si_jared_leckie"), ("jared", "si_jared_leckie")):
        assert await pull(im, user, cid) == []


async def test_profile_change_pushes_1516_to_groups(client, runtime, im, receiver):
    """update_user_info(_ex) changing nickname or faceURL pushes 1516 into each group where the
    user's member nickname or faceURL is empty (§2.12): the group-msg hooks see it, nothing is
    stored; a group where both are set gets none."""
    g1, g2 = await im.group(), await im.group()
    await im.ok("/group/set_group_member_info", {"members": [
        {"groupID": g2, "userID": "bob", "nickname": "B", "faceURL": "f"}]})
    await setup(client, runtime, im, receiver, {"afterSendGroupMsg": {}})
    await im.ok("/user/update_user_info_ex", {"userInfo": {"userID": "bob", "nickname": "Bob2"}})
    await im.ok("/user/update_user_info", {"userInfo": {"userID": "bob", "ex": "only ex"}})   # no 1516
    await im.ok("/user/update_user_info", {"userInfo": {"userID": "bob", "faceURL": "u"}})
    rows = await settle(client, 2, command=AFTER_GROUP)
    await settle(client, 3, command=AFTER_GROUP, timeout=0.3)
    assert [(r["body"]["contentType"], r["body"]["groupID"]) for r in
            await deliveries(client, command=AFTER_GROUP)] == [(1516, g1), (1516, g1)]
    assert rows[0]["body"]["content"] == ""
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + g1)] == [1501]


async def test_batch_replays_the_same(aiohttp_client, tmp_path, receiver):
    """A batch asks one hook per recipient and stores after the last answer; the durable log
    replays it at the entry carrying every answer, so a restart stores the same messages and
    leaves out the refused recipient, calling nobody."""
    settings = Settings(port=0, data_dir=tmp_path / "data")
    client = await aiohttp_client(create_app(settings))
    rt = client.app[RUNTIME]
    await configure(client, "openim", "default", receiver.url, hooks={k: {"enable": True} for k in (
        "beforeSendSingleMsg", "beforeMsgModify")})
    receiver.reply(SINGLE, lambda b: REFUSE if b["recvID"] == "tommy" else ACCEPT)
    receiver.override(MODIFY, ex="seen")
    token = await get_admin_token(client)
    _, body = await openim_call(client, "/msg/batch_send_msg", batch(["bob", "tommy", "jared"]), token=token)
    assert body["errCode"] == 0 and body["data"]["failedUserIDs"] == ["tommy"], body
    expected = rt.dump_state()
    sent = len(receiver.received)
    assert sent == 5

    rt.store.close_quietly()
    again = create_app(settings)[RUNTIME]
    assert again.store.diverged == 0
    assert again.dump_state() == expected
    assert len(receiver.received) == sent


async def test_batch_checks_every_recipient_again_after_the_last_answer(client, runtime, im, receiver):
    """Whole-or-nothing per recipient after the waits: a recipient whose receive option changed
    while a later recipient's hook was being asked is dropped, not stored from a stale probe."""
    import asyncio
    await setup(client, runtime, im, receiver, {"beforeSendSingleMsg": {}})
    receiver.reply(SINGLE, ACCEPT, delay=0.5)

    async def meanwhile():
        await asyncio.sleep(0.75)          # during tommy's hook (bob's answered at ~0.5 s)
        await im.ok("/user/update_user_info", {"userInfo": {"userID": "bob", "globalRecvMsgOpt": 1}})
    data, _ = await asyncio.gather(im.ok("/msg/batch_send_msg", batch(["bob", "tommy"])), meanwhile())
    assert [r["body"]["recvID"] for r in receiver.received] == ["bob", "tommy"]
    assert [(r["recvID"], r["serverMsgID"] == "") for r in data["results"]] == [("bob", True), ("tommy", False)]
    assert await pull(im, "bob", "si_bob_leckie") == []
    assert len(await pull(im, "tommy", "si_leckie_tommy")) == 1


async def test_group_call_not_slowed_by_its_notification_hook(client, runtime, im, receiver):
    """The server sends notifications after the REST reply (§0.5): a slow beforeSendGroupMsg
    does not hold the group call; the notification is stored once the hook lets it through."""
    import time
    gid = await im.group()
    await setup(client, runtime, im, receiver, {"beforeSendGroupMsg": {}})
    receiver.reply(GROUP, ACCEPT, delay=1.0)
    started = time.monotonic()
    await im.ok("/group/mute_group", {"groupID": gid})
    assert time.monotonic() - started < 0.5
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)] == [1501]   # not yet
    await runtime.callbacks.settled()
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)] == [1501, 1514]


async def test_request_after_hooks_sent_once_with_late_notifications(client, runtime, im, receiver):
    """The group call's own after hooks go out once; its notifications' afterSendGroupMsg
    follow when their beforeSendGroupMsg has answered."""
    await setup(client, runtime, im, receiver, {"afterCreateGroup": {}, "beforeSendGroupMsg": {},
                                                "afterSendGroupMsg": {}})
    await im.group(notification="hello")                      # 1501 and 1519
    await runtime.callbacks.settled()
    await settle(client, 2, command=AFTER_GROUP)
    await settle(client, 2, command="callbackAfterCreateGroupCommand", timeout=0.3)
    assert sorted(receiver.commands()) == sorted(
        ["callbackAfterCreateGroupCommand", GROUP, GROUP, AFTER_GROUP, AFTER_GROUP])
    assert [r["body"]["contentType"] for r in receiver.received if r["command"] == AFTER_GROUP] == [1501, 1519]


async def test_set_info_hooks_come_before_the_group_lookup(client, runtime, im, receiver):
    """§4.6: beforeSetGroupInfo / beforeSetGroupInfoEx come after the permission check and
    before the group is looked up: a dismissed group still asks them, then answers 1204."""
    gid = await im.group()
    await im.ok("/group/dismiss_group", {"groupID": gid, "deleteMember": False})
    await setup(client, runtime, im, receiver, {"beforeSetGroupInfo": {}, "beforeSetGroupInfoEx": {}})
    receiver.override("callbackBeforeSetGroupInfoCommand", groupID=gid)
    receiver.override("callbackBeforeSetGroupInfoExCommand", groupID=gid)
    body = await im.body("/group/set_group_info", {"groupInfoForSet": {"groupID": gid, "groupName": "x"}})
    assert body["errCode"] == 1204
    body = await im.body("/group/set_group_info_ex", {"groupID": gid, "groupName": "x"})
    assert body["errCode"] == 1204
    assert receiver.commands() == ["callbackBeforeSetGroupInfoCommand", "callbackBeforeSetGroupInfoExCommand"]
    # a non-member ordinary user is refused before any hook
    status, body = await im.raw("/group/set_group_info", {"groupInfoForSet": {"groupID": gid, "groupName": "y"}},
                                as_="jared")
    assert body["errCode"] != 0 and len(receiver.received) == 2


async def test_too_many_late_chains_ask_before_the_reply(client, runtime, im, receiver, monkeypatch):
    """Chains asked after the reply are bounded (LATER_CAP): past it a group call asks its
    notifications' hook itself before answering (back-pressure, counted), same outcome."""
    import emulator.core.callbacks as core
    monkeypatch.setattr(core, "LATER_CAP", 0)
    gid = await im.group()
    await setup(client, runtime, im, receiver, {"beforeSendGroupMsg": {}, "afterSendGroupMsg": {}})
    receiver.reply(GROUP, lambda b: REFUSE if b["contentType"] == 1514 else ACCEPT)
    await im.ok("/group/mute_group", {"groupID": gid})                 # refused: dropped
    await im.ok("/group/cancel_mute_group", {"groupID": gid})          # stored before the reply
    assert [m["contentType"] for m in await pull(im, "leckie", "sg_" + gid)] == [1501, 1515]
    assert runtime.callbacks.stats()["later_inline"] == 2
    rows = await settle(client, 1, command=AFTER_GROUP)
    assert [r["body"]["contentType"] for r in rows] == [1515]


async def test_revoke_in_a_dismissed_group_sends_no_notification(client, runtime, im):
    """The 2101 of a group goes through the group send path (§2.8, §2.3): in a dismissed group
    that path drops it (1204), the revoke itself succeeds — with hooks or without."""
    gid = await im.group()
    await im.ok("/msg/send_msg", {"sendID": "leckie", "groupID": gid, "sessionType": 3,
                                  "contentType": 101, "content": {"content": "x"}})
    await im.ok("/group/dismiss_group", {"groupID": gid, "deleteMember": False})
    await im.ok("/msg/revoke_msg", {"conversationID": "sg_" + gid, "seq": 2, "userID": "leckie"})
    msgs = await pull(im, "leckie", "sg_" + gid)
    assert msgs[1]["contentType"] == 2101                      # shown revoked
    data = await im.ok("/msg/newest_seq", {"userID": "leckie"})
    assert ("n_" + gid) not in (data["maxSeqs"] or {})


async def test_member_invite_needing_approval_pushes_1503(client, runtime, im, receiver):
    """An ordinary member inviting into a group whose invites need approval (needVerification 1)
    files one request per invitee and pushes 1503 for each to the owner, the admins and the
    inviter (§2.12): afterSendSingleMsg sees them, nothing is stored."""
    gid = await im.group(needVerification=1)
    await setup(client, runtime, im, receiver, {"afterSendSingleMsg": {}})
    await im.ok("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared", "imAdmin"],
                                                "reason": ""}, as_="bob")
    assert "jared" not in await im.member_ids(gid)
    rows = await settle(client, 6, command=AFTER_SINGLE)
    assert [(r["body"]["contentType"], r["body"]["sendID"], r["body"]["recvID"]) for r in rows] == [
        (1503, "bob", "leckie"), (1503, "bob", "tommy"), (1503, "bob", "bob")] * 2
